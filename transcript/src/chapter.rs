//! A chapter's transcripts run, compared with the committed blocks or
//! blessed: what `cargo xtask transcripts` does for every chapter, and what
//! each chapter's `tests/transcripts.rs` does for its own.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::run::{Programs, run};
use crate::snapshot::{Outcome, Snapshots};
use crate::spec::{Chapter, Spec};

/// What running a chapter's transcripts found and did.
#[derive(Debug, Default)]
pub struct Report {
    /// What is wrong, one message each: a run that failed, a block that
    /// differs (with a diff), a stale file.
    pub problems: Vec<String>,
    /// The files written or removed (when overwriting).
    pub changed: Vec<PathBuf>,
    /// The runs not made here, and why (`probe: needs root`).
    pub skipped: Vec<String>,
    /// How many blocks were compared or written.
    pub blocks: usize,
}

/// Runs every transcript of `chapter` with the binaries in `bin_dir`, and
/// compares each block with its committed file, or rewrites it, as
/// `snapshots` says; stale files in the chapter's folder are problems, or
/// removed. A run whose requirements are missing is skipped, and said so
/// on stderr.
pub fn settle(
    root: &Path,
    chapter: &Chapter,
    bin_dir: &Path,
    snapshots: &Snapshots,
) -> Result<Report> {
    let programs = Programs::new(root, bin_dir, &chapter.spec.packages)?;
    let mut report = Report::default();
    let missing = programs.missing(&chapter.spec.transcripts);
    if !missing.is_empty() {
        let programs: Vec<&str> = missing.iter().map(|(b, _)| b.as_str()).collect();
        let packages: BTreeSet<&str> = missing.iter().map(|(_, p)| p.as_str()).collect();
        let flags: String = packages.iter().map(|p| format!("-p {p} ")).collect();
        report.problems.push(format!(
            "{}: {programs:?} not built in {}: `cargo test --workspace` builds every \
             package's binaries before any test runs; alone, run `cargo build {flags}--bins` first",
            snapshots.shown(&chapter.spec_path),
            bin_dir.display(),
        ));
        return Ok(report);
    }
    for spec in &chapter.spec.transcripts {
        if let Some(why) = missing_requirement(spec) {
            // Past the test harness's capture: a skipped transcript shows
            // in every `cargo test`, not only in a failing one.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: transcript {} of {}: {why}",
                spec.id,
                chapter.name
            );
            report.skipped.push(format!("{}: {why}", spec.id));
            continue;
        }
        let blocks = match run(spec, &programs) {
            Ok(blocks) => blocks,
            Err(err) => {
                report.problems.push(format!(
                    "{}: transcript {}: {err:#}",
                    snapshots.shown(&chapter.spec_path),
                    spec.id
                ));
                continue;
            }
        };
        for (block, text) in blocks {
            let file = chapter.file(&block);
            report.blocks += 1;
            match snapshots.compare(&file, &text) {
                Ok(Outcome::Same) => {}
                Ok(Outcome::Written) => report.changed.push(file),
                Err(diff) => report
                    .problems
                    .push(format!("transcript {}: {diff}", spec.id)),
            }
        }
    }
    let stale = snapshots.stale(
        &chapter.stale_files(),
        &format!("any transcript of {}", snapshots.shown(&chapter.spec_path)),
    )?;
    report.problems.extend(stale.problems);
    report.changed.extend(stale.removed);
    Ok(report)
}

/// The test of a chapter's transcripts, for its `tests/transcripts.rs`:
/// runs `book/CHAPTER/transcripts.toml` with the binaries in the folder of
/// `binary` (`env!("CARGO_BIN_EXE_<one of the chapter's binaries>")`) and
/// panics with every problem, each block's diff included, unless the book
/// shows what the programs print. `SNAPSHOTS=overwrite` rewrites the blocks
/// instead.
///
/// # Panics
///
/// Where a block differs, a run fails, a file is stale, or the spec cannot
/// be read.
#[track_caller]
pub fn assert_chapter(chapter: &str, binary: &str) {
    let root = crate::workspace_root();
    let bin_dir = Path::new(binary).parent().expect("a binary is in a folder");
    let chapter = Chapter::read(root, chapter).unwrap_or_else(|err| panic!("{err:#}"));
    let snapshots = Snapshots::from_env(root);
    let report = settle(root, &chapter, bin_dir, &snapshots)
        .unwrap_or_else(|err| panic!("transcripts of {}: {err:#}", chapter.name));
    for file in &report.changed {
        eprintln!("wrote {}", snapshots.shown(file));
    }
    assert!(
        report.problems.is_empty(),
        "{} problem(s) with the transcripts of {} (a block that differs from what \
         the programs print: `cargo xtask transcripts {}` rewrites it):\n\n{}",
        report.problems.len(),
        chapter.name,
        chapter.name,
        report.problems.join("\n\n")
    );
    assert!(
        report.blocks > 0 || !report.skipped.is_empty(),
        "{}: no transcript ran",
        chapter.name
    );
}

/// Why `spec` cannot run here, if it cannot: it shows what root sees and
/// this user is not root, or a program of `spec.requires` is not on PATH.
fn missing_requirement(spec: &Spec) -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if spec.root_only && unsafe { libc::geteuid() } != 0 {
        return Some("it shows what root sees, and this user is not root".to_owned());
    }
    spec.requires
        .iter()
        .find(|program| find_in_path(program).is_none())
        .map(|program| format!("it needs {program}, not found on PATH"))
}

/// Where `program` is on PATH, if it is.
fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_not_built_are_one_problem_that_says_how_to_build_them() {
        let root = crate::workspace_root();
        let chapter = Chapter::read(root, "ch6").unwrap();
        let empty = tempfile::tempdir().unwrap();
        let report = settle(root, &chapter, empty.path(), &Snapshots::verify(root)).unwrap();
        assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
        let problem = &report.problems[0];
        assert!(problem.contains("\"upper-client\""), "{problem}");
        assert!(
            problem.contains("`cargo build -p ch5-socketserver -p ch6-eventloop --bins`"),
            "{problem}"
        );
        assert_eq!(report.blocks, 0, "nothing ran");
    }
}
