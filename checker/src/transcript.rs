//! The checker's output as the book shows it, made by the checker.
//!
//! Every exercise page shows what `cargo exercise check NAME` says about the
//! untouched starter, and some show a run on another program
//! (`cargo exercise check NAME --cmd "python3 ..."`). Those blocks are files,
//! `book/chN/transcripts/exercise-*.txt`, which the pages pull into
//! ```` ```console ```` fences with `{{#include}}`. Each is the command as the
//! reader types it (`$ cargo exercise check NAME`), then what the command
//! prints, rendered by the very function the command prints with
//! ([`write_check`]).
//!
//! - The untouched starter's verdict of every exercise is
//!   `exercise-NAME.txt`. It comes from the proof ([`crate::proof`]), which
//!   builds and judges every starter anyway.
//! - The runs an exercise lists under `[[exercise.shown]]` in its chapter's
//!   `exercises.toml` are run here, from the top of the repository, through
//!   the same code as `--cmd`. A run that needs a program missing from PATH
//!   (`python3`) is skipped, and says `SKIPPED` on stderr.
//!
//! What differs from one run to the next is normalised by the book's one
//! normaliser ([`book_transcript::Normaliser::for_checker`]): the
//! workspace's path becomes `.`, a checker's scratch folder
//! `/tmp/check-XXXXXX`, and every loopback port `40000`, `40001`, ... in
//! order of appearance. Then the exercise's own `transcript_replace` rules
//! apply.
//!
//! `cargo exercise verify` compares the blocks with the committed files and
//! fails with a diff; `cargo exercise verify --bless` rewrites them (and
//! removes an `exercise-*.txt` that no exercise makes any more), through the
//! book's one compare-and-bless ([`book_transcript::Snapshots`]). The file
//! prefix `exercise-` is this module's: other transcripts of the book use
//! other names, and the spec runner refuses it.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use book_support::check::Checker;
use book_transcript::snapshot::{Outcome, Snapshots};
use book_transcript::{Normaliser, normalise};

use crate::catalog::Exercise;
use crate::proof::Proof;
use crate::verdict::{Verdict, judge, program_from_cmd, write_check};

/// The prefix of every block this module writes.
pub const PREFIX: &str = book_transcript::spec::EXERCISE_PREFIX;

/// The port the first loopback port of a transcript becomes.
pub const FIRST_PORT: u16 = normalise::FIRST_PORT;

/// One block of console output: the file the book includes, and what it
/// should say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// `book/chN/transcripts/exercise-....txt`.
    pub file: PathBuf,
    /// `$ COMMAND`, then what it prints, normalised.
    pub text: String,
}

/// The command a student types to judge their program.
pub fn check_command(name: &str) -> String {
    format!("cargo exercise check {name}")
}

/// The command that judges another program, with `--cmd`.
pub fn cmd_command(name: &str, cmd: &str) -> String {
    format!("cargo exercise check {name} --cmd {}", shell_quote(cmd))
}

/// `cmd` quoted for a POSIX shell, in double quotes as the book writes it.
fn shell_quote(cmd: &str) -> String {
    let mut quoted = String::from("\"");
    for c in cmd.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// The block for `command` and what it printed about `verdict`, before
/// normalisation: exactly what a terminal shows.
pub fn render(command: &str, verdict: &Verdict) -> String {
    let mut out = format!("$ {command}\n").into_bytes();
    write_check(&mut out, [verdict]).expect("writing to a Vec cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

/// Makes `text` the same from run to run (see the module's documentation).
pub fn normalise(text: &str, root: &Path, rules: &[[String; 2]]) -> Result<String> {
    Ok(Normaliser::for_checker(root, rules)?.apply(text))
}

/// The book's folder of an exercise's chapter: `chapters/ch1-families` has
/// its pages in `book/ch1`.
pub fn book_dir(root: &Path, exercise: &Exercise) -> Result<PathBuf> {
    let chapter = exercise.chapter();
    let short = chapter.split('-').next().unwrap_or_default();
    let dir = root.join("book").join(short);
    if short.is_empty() || !dir.is_dir() {
        bail!(
            "exercise {}: its chapter {chapter} has no folder book/{short}",
            exercise.name
        );
    }
    Ok(dir)
}

/// Every block the exercises declare, as files: `exercise-NAME.txt` for each
/// exercise and one for each `[[exercise.shown]]`. Fails on a block name
/// that does not start with `exercise-`, or that two runs share.
pub fn declared_files(root: &Path, exercises: &[Exercise]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    for exercise in exercises {
        let dir = book_dir(root, exercise)?.join("transcripts");
        let starter = format!("{PREFIX}{}", exercise.name);
        for block in std::iter::once(&starter).chain(exercise.shown.iter().map(|s| &s.block)) {
            if !block.starts_with(PREFIX) {
                bail!(
                    "exercise {}: the shown block `{block}` must start with `{PREFIX}`",
                    exercise.name
                );
            }
            let file = dir.join(format!("{block}.txt"));
            if !seen.insert(file.clone()) {
                bail!("two runs of the checker are shown as `{block}`");
            }
            files.push(file);
        }
    }
    Ok(files)
}

/// Renders every block the book shows: the untouched starter's verdict of
/// every exercise, from `proofs`, and the `[[exercise.shown]]` runs, which
/// run now. A shown run whose requirements are missing is left out, and
/// says `SKIPPED` on stderr.
pub fn blocks(
    root: &Path,
    exercises: &[Exercise],
    proofs: &[Proof],
    checkers: &[Checker],
) -> Result<Vec<Block>> {
    let files = declared_files(root, exercises)?;
    let mut files = files.into_iter();
    let mut blocks = Vec::new();
    for exercise in exercises {
        let proof = proofs
            .iter()
            .find(|p| p.on_starter.name == exercise.name)
            .ok_or_else(|| anyhow!("exercise {} has no proof", exercise.name))?;
        let file = files.next().context("a file for every block")?;
        let text = render(&check_command(&exercise.name), &proof.on_starter);
        blocks.push(Block {
            file,
            text: normalise(&text, root, &exercise.transcript_replace)?,
        });

        for shown in &exercise.shown {
            let file = files.next().context("a file for every block")?;
            if let Some(missing) = shown
                .requires
                .iter()
                .find(|program| !book_support::tools::available(program))
            {
                eprintln!(
                    "SKIPPED: {} (it needs {missing}, not found)",
                    file.display()
                );
                continue;
            }
            let program = program_from_cmd(&shown.cmd)?.in_dir(root);
            let verdict = judge(exercise, checkers, program);
            let text = render(&cmd_command(&exercise.name, &shown.cmd), &verdict);
            blocks.push(Block {
                file,
                text: normalise(&text, root, &exercise.transcript_replace)?,
            });
        }
    }
    Ok(blocks)
}

/// What is wrong with the committed files, one message each: a block that
/// differs from its file (with a diff), or a file `exercise-*.txt` that no
/// exercise declares. Empty when the book shows what the checker prints.
/// It only compares, whatever the environment says (the checker reads no
/// variable of its own); [`bless`] rewrites.
pub fn mismatches(root: &Path, exercises: &[Exercise], blocks: &[Block]) -> Result<Vec<String>> {
    Ok(settle(root, exercises, blocks, &Snapshots::verify(root))?.0)
}

/// Writes every block whose file differs, and removes the `exercise-*.txt`
/// files no exercise declares. Returns the files written or removed.
pub fn bless(root: &Path, exercises: &[Exercise], blocks: &[Block]) -> Result<Vec<PathBuf>> {
    let (problems, changed) = settle(root, exercises, blocks, &Snapshots::overwrite(root))?;
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(changed)
}

/// Compares every block with its file, or rewrites it, as `snapshots` says,
/// and the same for the stale files: the problems, and the files changed.
fn settle(
    root: &Path,
    exercises: &[Exercise],
    blocks: &[Block],
    snapshots: &Snapshots,
) -> Result<(Vec<String>, Vec<PathBuf>)> {
    let mut problems = Vec::new();
    let mut changed = Vec::new();
    for block in blocks {
        match snapshots.compare(&block.file, &block.text) {
            Ok(Outcome::Same) => {}
            Ok(Outcome::Written) => changed.push(block.file.clone()),
            Err(diff) => problems.push(diff),
        }
    }
    let stale = snapshots.stale(&stale_files(root, exercises, blocks)?, "any exercise")?;
    problems.extend(stale.problems);
    changed.extend(stale.removed);
    Ok((problems, changed))
}

/// The `book/*/transcripts/exercise-*.txt` files that neither an exercise
/// declares nor a block writes.
fn stale_files(root: &Path, exercises: &[Exercise], blocks: &[Block]) -> Result<Vec<PathBuf>> {
    let mut declared: BTreeSet<PathBuf> = declared_files(root, exercises)?.into_iter().collect();
    declared.extend(blocks.iter().map(|b| b.file.clone()));
    let mut stale = Vec::new();
    let book = root.join("book");
    let Ok(chapters) = fs::read_dir(&book) else {
        return Ok(stale);
    };
    for chapter in chapters.flatten() {
        let Ok(files) = fs::read_dir(chapter.path().join("transcripts")) else {
            continue;
        };
        for file in files.flatten() {
            let path = file.path();
            let name = file.file_name().to_string_lossy().into_owned();
            if name.starts_with(PREFIX) && name.ends_with(".txt") && !declared.contains(&path) {
                stale.push(path);
            }
        }
    }
    stale.sort();
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use book_support::check::Failure;

    fn verdict(port: u16) -> Verdict {
        Verdict {
            name: "ch1-udp-echo".into(),
            title: "A UDP echo server".into(),
            passed: vec![format!("listens on 127.0.0.1:{port}")],
            failure: Some(
                Failure::new("a short datagram comes back", "5 bytes", "nothing")
                    .with_note("not done yet"),
            ),
        }
    }

    const EXPECTED: &str = "$ cargo exercise check ch1-udp-echo
ch1-udp-echo: A UDP echo server
  ok    listens on 127.0.0.1:40000
  FAIL  a short datagram comes back
        expected: 5 bytes
        got:      nothing
        note:     not done yet
  Stuck? `cargo exercise hint ch1-udp-echo`

progress: 0 of 1 exercises pass
";

    #[test]
    fn a_block_is_the_command_then_what_check_prints_with_the_port_normalised() {
        let root = Path::new("/nowhere");
        let text = render(&check_command("ch1-udp-echo"), &verdict(51234));
        assert_eq!(normalise(&text, root, &[]).unwrap(), EXPECTED);
    }

    #[test]
    fn ports_are_numbered_in_order_and_paths_made_relative() {
        let temp = std::env::temp_dir();
        let temp = temp.canonicalize().unwrap_or(temp);
        let text = format!(
            "127.0.0.1:51234 [::1]:61000 127.0.0.1:51234 port 9\n\
             /repo/target/x /repo {}/check-a1B2c3/echo.sock\n",
            temp.display()
        );
        let rules = [["took \\d+ ms".to_owned(), "took 5 ms".to_owned()]];
        let text = format!("{text}took 93 ms\n");
        assert_eq!(
            normalise(&text, Path::new("/repo"), &rules).unwrap(),
            "127.0.0.1:40000 [::1]:40001 127.0.0.1:40000 port 9\n\
             target/x . /tmp/check-XXXXXX/echo.sock\ntook 5 ms\n"
        );
    }

    #[test]
    fn a_command_line_is_shown_in_double_quotes() {
        assert_eq!(
            cmd_command("ch1-udp-echo", "python3 a.py --port {port}"),
            "cargo exercise check ch1-udp-echo --cmd \"python3 a.py --port {port}\""
        );
        assert_eq!(shell_quote(r#"sh -c "echo $x""#), r#""sh -c \"echo \$x\"""#);
    }

    #[test]
    fn a_wrong_committed_transcript_is_a_mismatch_with_a_diff_until_blessed() {
        let root = tempfile::tempdir().unwrap();
        let file = root
            .path()
            .join("book/ch1/transcripts/exercise-ch1-udp-echo.txt");
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        let wrong = EXPECTED.replace("40000", "33323");
        fs::write(&file, &wrong).unwrap();
        let blocks = vec![Block {
            file: file.clone(),
            text: EXPECTED.to_owned(),
        }];

        let problems = mismatches(root.path(), &[], &blocks).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("book/ch1/transcripts/exercise-ch1-udp-echo.txt differs"),
            "{}",
            problems[0]
        );
        assert!(
            problems[0].contains("\n   2    2 | ch1-udp-echo: A UDP echo server\n"),
            "a line in both is shown as it is: {}",
            problems[0]
        );
        assert!(
            problems[0].contains("\n   3      -   ok    listens on 127.0.0.1:33323\n"),
            "{}",
            problems[0]
        );
        assert!(
            problems[0].contains("\n        3 +   ok    listens on 127.0.0.1:40000\n"),
            "{}",
            problems[0]
        );

        // A missing file is a mismatch too.
        fs::remove_file(&file).unwrap();
        assert_eq!(mismatches(root.path(), &[], &blocks).unwrap().len(), 1);

        assert_eq!(
            bless(root.path(), &[], &blocks).unwrap(),
            vec![file.clone()]
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), EXPECTED);
        assert!(mismatches(root.path(), &[], &blocks).unwrap().is_empty());
        assert!(
            bless(root.path(), &[], &blocks).unwrap().is_empty(),
            "nothing to write the second time"
        );
    }

    #[test]
    fn a_transcript_no_exercise_makes_is_stale_and_bless_removes_it() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("book/ch2/transcripts");
        fs::create_dir_all(&dir).unwrap();
        let stale = dir.join("exercise-ch2-gone.txt");
        fs::write(&stale, "$ cargo exercise check ch2-gone\n").unwrap();
        let other = dir.join("echo-tcp.txt");
        fs::write(&other, "not ours\n").unwrap();

        let problems = mismatches(root.path(), &[], &[]).unwrap();
        assert_eq!(
            problems,
            vec![
                "book/ch2/transcripts/exercise-ch2-gone.txt is not made by any exercise: remove it"
            ]
        );
        assert_eq!(bless(root.path(), &[], &[]).unwrap(), vec![stale.clone()]);
        assert!(!stale.exists());
        assert!(
            other.exists(),
            "other transcripts of the book are left alone"
        );
    }
}
