//! What the chapter's tests share.
#![allow(dead_code)]

use std::process::Command;
use std::time::Duration;

/// A bound on every wait in these tests.
pub const BOUND: Duration = Duration::from_secs(30);

/// python3, or `None` after saying visibly that the test is skipped.
pub fn python3() -> Option<&'static str> {
    match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => Some("python3"),
        _ => {
            eprintln!("SKIPPED: python3 not found");
            None
        }
    }
}

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
