//! What differs between two texts, line by line, for a test's failure
//! message: the transcript checks compare what the book holds with what a
//! program printed now.

use similar::{ChangeTag, TextDiff};

/// A line diff of `old` and `new`, every line indented: `    ` in both,
/// `  - ` only in `old`, `  + ` only in `new`. A last line without its
/// newline says so, or two texts that differ only there would show the
/// same line twice.
pub fn lines(old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| {
            let sign = match change.tag() {
                ChangeTag::Equal => "    ",
                ChangeTag::Delete => "  - ",
                ChangeTag::Insert => "  + ",
            };
            let line = change.value().trim_end_matches('\n');
            let end = if change.missing_newline() {
                " (no newline at the end)"
            } else {
                ""
            };
            format!("{sign}{line}{end}\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_each_line_as_kept_removed_or_added() {
        assert_eq!(
            lines("a\nb\nc\n", "a\nB\nc\nd\n"),
            "    a\n  - b\n  + B\n    c\n  + d\n"
        );
    }

    #[test]
    fn a_missing_last_newline_is_said() {
        assert_eq!(
            lines("a\nb", "a\nb\n"),
            "    a\n  - b (no newline at the end)\n  + b\n"
        );
    }
}
