//! Each checker passes its reference solution and fails wrong programs.

mod common;

/// The chapter's checkers, kept beside its exercises (the checker builds
/// them too).
#[path = "../checks.rs"]
#[allow(dead_code)] // a test uses only some of what the checker uses
mod checks;
use book_support::check::run_checker;
use checks::checkers;
use common::{python3, text};

fn judge(name: &str, words: &[&str]) -> Result<Vec<String>, String> {
    let (passed, result) = run_checker(&checkers(), name, words);
    result
        .map(|()| passed)
        .map_err(|failure| failure.to_string())
}

fn program(file: &str) -> String {
    format!("{}/tests/programs/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_exercise_has_a_checker() {
    let toml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/exercises/exercises.toml"
    ))
    .unwrap();
    let names: Vec<&str> = checkers().iter().map(|c| c.name).collect();
    assert_eq!(names, ["ch3-recv-exact", "ch3-frame-codec"]);
    for name in names {
        assert!(toml.contains(&format!("name = \"{name}\"")), "{name}");
    }
}

#[test]
fn recv_exact_passes_the_solution() {
    let passed = judge(
        "ch3-recv-exact",
        &[env!("CARGO_BIN_EXE_ch3-recv-exact"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 5, "{passed:?}");
}

#[test]
fn frame_codec_passes_the_solution() {
    let passed = judge(
        "ch3-frame-codec",
        &[env!("CARGO_BIN_EXE_ch3-frame-codec"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 8, "{passed:?}");
}

#[test]
fn each_checker_fails_the_other_exercise_and_the_ssh_server() {
    let err = judge(
        "ch3-recv-exact",
        &[env!("CARGO_BIN_EXE_ch3-frame-codec"), "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        err.starts_with("the server answers a size (\"12\") with \"OK\""),
        "{err}"
    );
    let err = judge(
        "ch3-frame-codec",
        &[env!("CARGO_BIN_EXE_ch3-recv-exact"), "--port", "{port}"],
    )
    .unwrap_err();
    assert!(err.starts_with("a frame comes back unchanged"), "{err}");
    let err = judge(
        "ch3-frame-codec",
        &[env!("CARGO_BIN_EXE_ssh-server"), "--port", "{port}"],
    )
    .unwrap_err();
    assert!(err.contains("expected:"), "{err}");
}

#[test]
fn recv_exact_fails_one_recv_and_passes_a_python_loop() {
    let Some(python) = python3() else { return };
    let once = program("recv_once.py");
    let err = judge("ch3-recv-exact", &[python, &once, "--port", "{port}"]).unwrap_err();
    assert!(
        err.starts_with("the server reads exactly the announced bytes"),
        "{err}"
    );
    let right = program("recv_exact.py");
    judge("ch3-recv-exact", &[python, &right, "--port", "{port}"]).unwrap();
}

#[test]
fn frame_codec_fails_a_codec_without_a_limit() {
    let Some(python) = python3() else { return };
    let no_limit = program("frames_no_limit.py");
    let err = judge("ch3-frame-codec", &[python, &no_limit, "--port", "{port}"]).unwrap_err();
    assert!(
        err.starts_with("a frame announcing 1 MiB + 1 bytes is refused"),
        "{}",
        text(err.as_bytes())
    );
}
