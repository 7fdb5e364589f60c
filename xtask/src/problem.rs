//! One thing wrong with the book or the README, said where it is.

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem found by a check, with the file and line to look at.
///
/// Checks return every problem they find rather than stopping at the first,
/// so one test run shows an author everything there is to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file to fix, relative to the workspace root where possible.
    pub file: PathBuf,
    /// The 1-based line in `file`, when the problem has one.
    pub line: Option<usize>,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl Problem {
    /// A problem at one line of `file`; `file` is shown relative to `root`.
    pub fn at(root: &Path, file: &Path, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: relative_to(root, file),
            line: Some(line),
            message: message.into(),
        }
    }

    /// Formats problems one a line, indented, for a test's failure message.
    pub fn list(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(|problem| format!("  {problem}\n"))
            .collect()
    }

    /// A problem with `file` as a whole; `file` is shown relative to `root`.
    pub fn in_file(root: &Path, file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: relative_to(root, file),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file.display(), self.message),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

/// `path` without the `root/` prefix, or `path` itself if it is elsewhere.
fn relative_to(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}
