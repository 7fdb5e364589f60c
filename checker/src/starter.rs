//! Making a starter from a reference solution.
//!
//! There is one copy of every exercise: its reference solution, a complete
//! program that is compiled and tested with its chapter. The parts a student
//! writes are marked in it:
//!
//! ```text
//! fn serve(socket: &UdpSocket) -> anyhow::Result<()> {
//!     // EXERCISE: receive each datagram and send it back to its sender
//!     let mut buf = [0; 65_535];
//!     ...
//!     // END EXERCISE
//! }
//! ```
//!
//! The starter is the same file with each marked region replaced by a note and
//! a `todo!()` with the same words. The starter still compiles, runs, and
//! stops with "not yet implemented: ..." when it reaches the missing part,
//! which the checkers report as "not done yet". This is how Comprehensive Rust
//! keeps its exercises and solutions from drifting apart: nothing is kept
//! twice by hand.

use anyhow::{Result, bail};

/// The line that opens a region, followed by what the student should write.
pub const BEGIN: &str = "// EXERCISE:";
/// The line that closes a region.
pub const END: &str = "// END EXERCISE";

/// Replaces every marked region of `solution` by a `todo!()`.
///
/// Fails on a file with no region, an empty region, a region with no words,
/// a region left open, or an `END` with no `EXERCISE` before it: each of those
/// would make a starter that teaches nothing or does not compile.
pub fn make_starter(solution: &str) -> Result<String> {
    let mut out = String::with_capacity(solution.len());
    let mut open: Option<Region> = None;
    let mut regions = 0;

    for (index, line) in solution.lines().enumerate() {
        let number = index + 1;
        let trimmed = line.trim_start();
        if let Some(words) = trimmed.strip_prefix(BEGIN) {
            if let Some(region) = &open {
                bail!(
                    "line {number}: a new `{BEGIN}` while the one on line {} is still open",
                    region.line
                );
            }
            let words = words.trim();
            if words.is_empty() {
                bail!("line {number}: `{BEGIN}` must say what the student writes");
            }
            let indent = &line[..line.len() - trimmed.len()];
            open = Some(Region {
                line: number,
                indent: indent.to_string(),
                words: words.to_string(),
                body_lines: 0,
            });
        } else if trimmed.starts_with(END) {
            let Some(region) = open.take() else {
                bail!("line {number}: `{END}` with no `{BEGIN}` before it");
            };
            if region.body_lines == 0 {
                bail!(
                    "line {}: the region is empty: there is nothing for the student to write",
                    region.line
                );
            }
            out.push_str(&region.placeholder());
            regions += 1;
        } else if let Some(region) = &mut open {
            if !line.trim().is_empty() {
                region.body_lines += 1;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(region) = open {
        bail!("line {}: `{BEGIN}` is never closed by `{END}`", region.line);
    }
    if regions == 0 {
        bail!("no `{BEGIN}` region: the starter would be the solution");
    }
    Ok(out)
}

/// rustfmt's default line width.
const RUSTFMT_WIDTH: usize = 100;

struct Region {
    line: usize,
    indent: String,
    words: String,
    body_lines: usize,
}

impl Region {
    fn placeholder(&self) -> String {
        let Region { indent, words, .. } = self;
        let quoted = words.replace('\\', "\\\\").replace('"', "\\\"");
        let call = format!("{indent}todo!(\"{quoted}\")");
        // Laid out as rustfmt lays it out, so that the starter, a program
        // of the workspace (the proof's), passes `cargo fmt --check`.
        let call = if call.chars().count() <= RUSTFMT_WIDTH {
            call
        } else {
            format!("{indent}todo!(\n{indent}    \"{quoted}\"\n{indent})")
        };
        format!("{indent}// TODO: {words}\n{call}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOLUTION: &str = "fn main() {\n    println!(\"ready\");\n    serve();\n}\n\nfn serve() {\n    // EXERCISE: echo every line\n    let x = 1;\n    println!(\"{x}\");\n    // END EXERCISE\n}\n";

    #[test]
    fn a_region_becomes_a_todo_with_the_same_words() {
        let starter = make_starter(SOLUTION).unwrap();
        assert!(starter.contains("    // TODO: echo every line\n    todo!(\"echo every line\")\n"));
        assert!(!starter.contains("let x = 1"));
        assert!(
            starter.contains("println!(\"ready\")"),
            "code outside the region is kept"
        );
    }

    #[test]
    fn a_long_todo_is_laid_out_as_rustfmt_lays_it_out() {
        let words = "x".repeat(100);
        let text =
            format!("fn f() {{\n    // EXERCISE: {words}\n    g();\n    // END EXERCISE\n}}\n");
        let starter = make_starter(&text).unwrap();
        assert!(
            starter.contains(&format!("    todo!(\n        \"{words}\"\n    )\n")),
            "{starter}"
        );
    }

    #[test]
    fn quotes_in_the_words_are_escaped() {
        let text = "fn f() {\n    // EXERCISE: print \"hi\"\n    g();\n    // END EXERCISE\n}\n";
        let starter = make_starter(text).unwrap();
        assert!(starter.contains(r#"todo!("print \"hi\"")"#));
    }

    #[test]
    fn a_file_without_a_region_is_refused() {
        let err = make_starter("fn main() {}\n").unwrap_err();
        assert!(
            err.to_string().contains("no `// EXERCISE:` region"),
            "{err}"
        );
    }

    #[test]
    fn an_unclosed_region_is_refused() {
        let err = make_starter("fn f() {\n    // EXERCISE: x\n    g();\n}\n").unwrap_err();
        assert!(err.to_string().contains("never closed"), "{err}");
    }

    #[test]
    fn an_empty_region_is_refused() {
        let err =
            make_starter("fn f() {\n    // EXERCISE: x\n\n    // END EXERCISE\n}\n").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn a_region_without_words_is_refused() {
        let err = make_starter("fn f() {\n    // EXERCISE:\n    g();\n    // END EXERCISE\n}\n")
            .unwrap_err();
        assert!(err.to_string().contains("must say"), "{err}");
    }

    #[test]
    fn nested_or_stray_markers_are_refused() {
        let nested = "// EXERCISE: a\n// EXERCISE: b\nx\n// END EXERCISE\n";
        assert!(
            make_starter(nested)
                .unwrap_err()
                .to_string()
                .contains("still open")
        );
        let stray = "x\n// END EXERCISE\n";
        assert!(
            make_starter(stray)
                .unwrap_err()
                .to_string()
                .contains("no `// EXERCISE:`")
        );
    }
}
