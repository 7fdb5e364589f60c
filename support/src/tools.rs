//! Programs from outside Rust that some tests need, found or visibly skipped.
//!
//! A test that needs `python3` (to prove that the article's Python programs
//! and ours talk to each other) must not pass silently where Python is
//! missing: it says `SKIPPED: ...` on stderr, which `cargo test` shows with
//! `--nocapture` and keeps in the output of a failing run.

use std::process::{Command, Stdio};

/// Is `program --version` runnable here? If not, says so on stderr.
pub fn available(program: &str) -> bool {
    let found = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("SKIPPED: {program} not found; this test needs it");
    }
    found
}

/// `Some("python3")` where Python 3 is installed; otherwise `None`, after
/// saying visibly that the test is skipped.
pub fn python3() -> Option<&'static str> {
    available("python3").then_some("python3")
}
