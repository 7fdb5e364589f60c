//! The console output the book shows is what the programs print.
//!
//! Every `book/chN/transcripts.toml` says how each transcript of the book is
//! made: the servers, the commands and their stdin, the normalisations.
//! This test builds the chapters' programs, runs every spec again and fails
//! with a diff where the committed `book/chN/transcripts/*.txt` (which the
//! pages include) no longer matches. `cargo xtask transcripts` rewrites them.

use xtask::Problem;
use xtask::transcripts::{self, Programs};

#[test]
fn every_transcript_is_what_the_programs_print() {
    let root = xtask::workspace_root();
    let chapters = transcripts::chapters(root).expect("the transcript specs are readable");
    assert!(!chapters.is_empty(), "no book/chN/transcripts.toml found");
    // A target folder of its own: cargo would otherwise wait for the lock
    // that this very `cargo test` holds on target/.
    let bin_dir = transcripts::build_programs(
        root,
        &transcripts::packages(&chapters),
        &root.join("target/transcripts"),
    )
    .unwrap_or_else(|err| panic!("cannot build the chapters' programs: {err:#}"));
    let programs = Programs {
        root: root.to_path_buf(),
        bin_dir,
    };
    let problems: Vec<Problem> = chapters
        .iter()
        .flat_map(|chapter| transcripts::check(chapter, &programs))
        .collect();
    assert!(
        problems.is_empty(),
        "transcripts that differ from what the programs print now \
         (`cargo xtask transcripts` rewrites them):\n{}",
        Problem::list(&problems)
    );
}

/// A `^` or `$` in a normalisation matches the start or end of the whole
/// block unless the rule is multi-line: a machine-specific line that is not
/// the block's first (a kernel name, say) would then go through untouched,
/// and the transcript would hold only on the machine that wrote it.
#[test]
fn every_anchored_normalisation_applies_to_every_line() {
    let root = xtask::workspace_root();
    let mut single_line = Vec::new();
    for chapter in transcripts::chapters(root).unwrap() {
        for spec in &chapter.spec.transcripts {
            for [pattern, _] in &spec.replace {
                let anchored =
                    pattern.starts_with('^') || pattern.contains("|^") || pattern.ends_with('$');
                if anchored && !pattern.starts_with("(?m)") {
                    single_line.push(format!(
                        "{} ({}): {pattern:?}",
                        chapter.spec_path.display(),
                        spec.id
                    ));
                }
            }
        }
    }
    assert!(
        single_line.is_empty(),
        "anchored rules without (?m):\n{}",
        single_line.join("\n")
    );
}
