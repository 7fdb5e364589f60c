//! Each checker passes its reference solution and fails wrong programs.

use crate::common;

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
    assert_eq!(
        names,
        [
            "ch3-recv-exact",
            "ch3-frame-codec",
            "ch3-time-limit",
            "ch3-ssh-client"
        ]
    );
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

#[test]
fn time_limit_passes_the_solution() {
    let passed = judge(
        "ch3-time-limit",
        &[
            env!("CARGO_BIN_EXE_ch3-time-limit"),
            "--port",
            "{port}",
            "--time-limit",
            "1",
        ],
    )
    .unwrap();
    assert_eq!(passed.len(), 4, "{passed:?}");
}

/// The time-limit exercise's arguments, with a limit of one second.
const TIME_LIMIT_ARGS: [&str; 4] = ["--port", "{port}", "--time-limit", "1"];

#[test]
fn time_limit_fails_a_server_with_no_limit() {
    let Some(python) = python3() else { return };
    let none = program("time_limit_none.py");
    let err = judge(
        "ch3-time-limit",
        &[&[python, &none][..], &TIME_LIMIT_ARGS].concat(),
    )
    .unwrap_err();
    assert!(
        err.starts_with("a command still running after 1 s is killed")
            && err.contains("nothing within"),
        "{err}"
    );
}

#[test]
fn time_limit_fails_a_kill_of_the_shell_alone() {
    let Some(python) = python3() else { return };
    let shell_only = program("time_limit_kills_shell_only.py");
    let err = judge(
        "ch3-time-limit",
        &[&[python, &shell_only][..], &TIME_LIMIT_ARGS].concat(),
    )
    .unwrap_err();
    assert!(
        err.starts_with("a command's background process is killed with it")
            && err.contains("it still runs"),
        "{err}"
    );
}

#[test]
fn ssh_client_passes_the_solution() {
    let passed = judge(
        "ch3-ssh-client",
        &[env!("CARGO_BIN_EXE_ch3-ssh-client"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 4, "{passed:?}");
}

#[test]
fn ssh_client_fails_a_server_program_and_one_that_is_not_there() {
    // A server is no client: it never connects.
    let err = judge(
        "ch3-ssh-client",
        &[env!("CARGO_BIN_EXE_ch3-time-limit"), "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        err.starts_with("the program connects to the server"),
        "{err}"
    );
    let err = judge(
        "ch3-ssh-client",
        &["/nonexistent/client", "--port", "{port}"],
    )
    .unwrap_err();
    assert!(err.contains("cannot start"), "{err}");
}

#[test]
fn ssh_client_fails_one_recv_and_the_course_loop() {
    let Some(python) = python3() else { return };
    let once = program("ssh_client_recv_once.py");
    let err = judge("ch3-ssh-client", &[python, &once, "--port", "{port}"]).unwrap_err();
    assert!(
        err.starts_with("a result of 2000000 bytes is printed whole")
            && err.contains("got:      1000 bytes"),
        "{err}"
    );
    let course = program("ssh_client_course_loop.py");
    let err = judge("ch3-ssh-client", &[python, &course, "--port", "{port}"]).unwrap_err();
    assert!(
        err.starts_with("a server that closes in the middle of a result")
            && err.contains("still running"),
        "{err}"
    );
}
