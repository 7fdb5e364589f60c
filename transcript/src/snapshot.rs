//! Compare what a program printed with the committed file, or bless it.
//!
//! One compare-and-bless for every transcript of the book, the spec runner's
//! (`book/chN/transcripts/*.txt`) and the checker's
//! (`book/chN/transcripts/exercise-*.txt`), on [snapbox]: [`Snapshots`]
//! either verifies (a mismatch is a problem with a line diff) or overwrites
//! (a file that differs is rewritten, a stale one removed).
//!
//! The files are read *raw*: snapbox's wildcards (`...` on a line of its
//! own, `[..]` in a line) and redactions are off, so a transcript that
//! shows `...` means three dots. Only line endings are normalised (`\r\n`
//! and `\r` compare as `\n`), which is snapbox's doing and harmless here:
//! the book's programs print `\n`.
//!
//! Where the choice is not the command's own (`cargo exercise verify --bless`
//! and `cargo xtask transcripts` overwrite, `cargo xtask transcripts --check`
//! verifies), it comes from the environment: `SNAPSHOTS=overwrite cargo test
//! -p ch1-families transcripts` rewrites what the test compares.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use snapbox::assert::Action;
use snapbox::report::Palette;
use snapbox::{Assert, Data};

/// The environment variable that chooses what [`Snapshots::from_env`] does:
/// `verify` (the default), `overwrite`, `ignore` or `skip`.
pub const ACTION_ENV: &str = "SNAPSHOTS";

/// How the committed files are compared with what was printed, or
/// rewritten.
#[derive(Debug, Clone)]
pub struct Snapshots {
    assert: Assert,
    root: PathBuf,
}

/// What became of one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file says what was printed.
    Same,
    /// The file differed, and was rewritten.
    Written,
}

impl Snapshots {
    /// Verifies unless the environment says otherwise ([`ACTION_ENV`]).
    /// Paths in messages are shown relative to `root`.
    pub fn from_env(root: &Path) -> Self {
        Self::with(root, Assert::new().action_env(ACTION_ENV))
    }

    /// Verifies, whatever the environment says: writes nothing.
    pub fn verify(root: &Path) -> Self {
        Self::with(root, Assert::new().action(Action::Verify))
    }

    /// Rewrites every file that differs, and removes stale ones.
    pub fn overwrite(root: &Path) -> Self {
        Self::with(root, Assert::new().action(Action::Overwrite))
    }

    fn with(root: &Path, assert: Assert) -> Self {
        Self {
            // Plain: the diff goes into messages and logs, not a terminal.
            assert: assert.palette(Palette::plain()).normalize_paths(false),
            root: root.to_path_buf(),
        }
    }

    /// Does this rewrite files rather than compare them?
    pub fn overwrites(&self) -> bool {
        self.assert.selected_action() == Action::Overwrite
    }

    /// Compares `printed` with the committed `file` (a missing file differs
    /// from anything). Verifying, a difference is an error whose message is
    /// the file, a line diff (`-` committed, `+` printed) and how to rewrite
    /// it; overwriting, the file is rewritten.
    pub fn compare(&self, file: &Path, printed: &str) -> Result<Outcome, String> {
        let before = fs::read(file).ok();
        let committed = Data::read_from(file, None).raw();
        let result = self.assert.try_eq(
            Some(&"what was printed"),
            Data::text(printed.to_owned()),
            committed,
        );
        let shown = self.shown(file);
        result.map_err(|err| format!("{shown} differs from what was printed:\n{err}"))?;
        if fs::read(file).ok() == before {
            Ok(Outcome::Same)
        } else {
            Ok(Outcome::Written)
        }
    }

    /// Files that nothing makes any more (`maker`: "any exercise", say):
    /// verifying, each is a problem; overwriting, each is removed.
    pub fn stale(&self, files: &[PathBuf], maker: &str) -> Result<Stale> {
        let mut stale = Stale::default();
        match self.assert.selected_action() {
            Action::Verify => {
                stale.problems = files
                    .iter()
                    .map(|file| format!("{} is not made by {maker}: remove it", self.shown(file)))
                    .collect();
            }
            Action::Overwrite => {
                for file in files {
                    fs::remove_file(file)
                        .with_context(|| format!("cannot remove {}", file.display()))?;
                    stale.removed.push(file.clone());
                }
            }
            Action::Ignore | Action::Skip => {}
        }
        Ok(stale)
    }

    /// `file` relative to the root, for messages.
    pub fn shown(&self, file: &Path) -> String {
        file.strip_prefix(&self.root)
            .unwrap_or(file)
            .display()
            .to_string()
    }
}

/// What [`Snapshots::stale`] found or did.
#[derive(Debug, Default)]
pub struct Stale {
    /// One message a stale file, when verifying.
    pub problems: Vec<String>,
    /// The files removed, when overwriting.
    pub removed: Vec<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_difference_is_a_line_diff_until_overwritten() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("book/ch1/transcripts/t.txt");
        let verify = Snapshots::verify(root.path());

        let missing = verify.compare(&file, "$ run\nhello\n").unwrap_err();
        assert!(
            missing.starts_with("book/ch1/transcripts/t.txt differs"),
            "{missing}"
        );
        assert!(!file.exists(), "verifying writes nothing");

        let overwrite = Snapshots::overwrite(root.path());
        assert_eq!(
            overwrite.compare(&file, "$ run\nhello\n"),
            Ok(Outcome::Written)
        );
        assert_eq!(fs::read_to_string(&file).unwrap(), "$ run\nhello\n");
        assert_eq!(verify.compare(&file, "$ run\nhello\n"), Ok(Outcome::Same));
        assert_eq!(
            overwrite.compare(&file, "$ run\nhello\n"),
            Ok(Outcome::Same),
            "nothing to write the second time"
        );

        let diff = verify.compare(&file, "$ run\nbye\n").unwrap_err();
        assert!(diff.contains("   1    1 | $ run\n"), "{diff}");
        assert!(diff.contains("   2      - hello\n"), "{diff}");
        assert!(diff.contains("        2 + bye\n"), "{diff}");
        assert!(!diff.contains('\u{1b}'), "no colours in a message: {diff}");
    }

    #[test]
    fn dots_and_brackets_are_text_not_wildcards() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("t.txt");
        fs::write(&file, "a\n...\nb [..] c\n").unwrap();
        let verify = Snapshots::verify(root.path());
        assert_eq!(
            verify.compare(&file, "a\n...\nb [..] c\n"),
            Ok(Outcome::Same)
        );
        assert!(verify.compare(&file, "a\nx\ny\nb [..] c\n").is_err());
        assert!(verify.compare(&file, "a\n...\nb zz c\n").is_err());
    }

    #[test]
    fn a_missing_last_newline_is_a_difference() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("t.txt");
        fs::write(&file, "a\nb\n").unwrap();
        let verify = Snapshots::verify(root.path());
        assert!(verify.compare(&file, "a\nb").is_err());
    }

    #[test]
    fn stale_files_are_problems_or_removed() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("old.txt");
        fs::write(&file, "gone\n").unwrap();
        let found = Snapshots::verify(root.path())
            .stale(std::slice::from_ref(&file), "anything")
            .unwrap();
        assert_eq!(
            found.problems,
            ["old.txt is not made by anything: remove it"]
        );
        assert!(file.exists());
        let removed = Snapshots::overwrite(root.path())
            .stale(std::slice::from_ref(&file), "anything")
            .unwrap();
        assert_eq!(removed.removed, std::slice::from_ref(&file));
        assert!(!file.exists());
    }
}
