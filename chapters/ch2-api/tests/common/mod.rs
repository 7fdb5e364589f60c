//! What the chapter's tests share.
#![allow(dead_code)]

use std::time::Duration;

/// A bound on every wait in these tests.
pub const BOUND: Duration = Duration::from_secs(30);

/// python3, or `None` after saying visibly that the test is skipped.
#[allow(unused_imports)] // not every test file needs it
pub use book_support::tools::python3;

/// Runs `api-demo NAME` and returns its stdout; fails the test if it fails.
pub fn demo(name: &str) -> String {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_api-demo"))
        .arg(name)
        .timeout(BOUND)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "api-demo {name} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
