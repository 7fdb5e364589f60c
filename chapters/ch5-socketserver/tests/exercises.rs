//! Each checker passes its reference solution and fails a wrong program.

use crate::common;

/// The chapter's checkers, kept beside its exercises (the checker builds
/// them too).
#[path = "../checks.rs"]
#[allow(dead_code)] // a test uses only some of what the checker uses
mod checks;
use book_support::check::{Program, Session};
use checks::checkers;
use common::{python_program, python3};

fn run(name: &str, words: &[&str]) -> Result<Vec<String>, String> {
    let checker = checkers().into_iter().find(|c| c.name == name).unwrap();
    let words = words.iter().map(|w| w.to_string()).collect();
    let mut session = Session::new(Program::new(words)).unwrap();
    match (checker.run)(&mut session) {
        Ok(()) => Ok(session.passed().to_vec()),
        Err(failure) => Err(failure.to_string()),
    }
}

#[test]
fn upper_handler_checker_passes_the_solution() {
    let passed = run(
        "ch5-upper-handler",
        &[env!("CARGO_BIN_EXE_ch5-upper-handler"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 6, "{passed:?}");
}

#[test]
fn upper_handler_checker_passes_the_chapter_server() {
    let server = env!("CARGO_BIN_EXE_upper-server");
    assert!(run("ch5-upper-handler", &[server, "--port", "{port}"]).is_ok());
}

#[test]
fn upper_handler_checker_fails_the_article_server() {
    let Some(python) = python3() else { return };
    let program = python_program("article_server.py");
    let failure = run("ch5-upper-handler", &[python, &program, "--port", "{port}"]).unwrap_err();
    // It answers what one recv returned: two lines come back as one answer.
    assert!(
        failure.contains("to two lines sent in one write"),
        "{failure}"
    );
}

#[test]
fn thread_per_request_checker_passes_the_solution() {
    let passed = run(
        "ch5-thread-per-request",
        &[
            env!("CARGO_BIN_EXE_ch5-thread-per-request"),
            "--port",
            "{port}",
        ],
    )
    .unwrap();
    assert_eq!(passed.len(), 4, "{passed:?}");
}

#[test]
fn thread_per_request_checker_fails_a_synchronous_server() {
    let server = env!("CARGO_BIN_EXE_upper-server");
    let failure = run(
        "ch5-thread-per-request",
        &[server, "--model", "sync", "--port", "{port}"],
    )
    .unwrap_err();
    assert!(failure.contains("ten clients answered"), "{failure}");
    assert!(failure.contains("a thread of its own"), "{failure}");
}

#[test]
fn thread_per_request_checker_fails_a_server_killed_by_sigterm() {
    let Some(python) = python3() else { return };
    let program = python_program("article_server.py");
    let failure = run(
        "ch5-thread-per-request",
        &[python, &program, "--quiet", "--port", "{port}"],
    )
    .unwrap_err();
    assert!(failure.contains("SIGTERM"), "{failure}");
}

/// A wrong program of `tests/wrong/`, with the mistake it makes.
fn wrong(file: &str) -> String {
    format!("{}/tests/wrong/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn kv_store_checker_passes_the_solution() {
    let passed = run(
        "ch5-kv-store",
        &[env!("CARGO_BIN_EXE_ch5-kv-store"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 5, "{passed:?}");
}

#[test]
fn kv_store_checker_fails_a_store_per_connection() {
    let Some(python) = python3() else { return };
    let program = wrong("kv_store.py");
    let words = [
        python,
        &program,
        "--mistake",
        "per-connection",
        "--port",
        "{port}",
    ];
    let failure = run("ch5-kv-store", &words).unwrap_err();
    // The second connection reads NONE: its map is its own.
    assert!(failure.contains("another connection reads"), "{failure}");
    assert!(failure.contains("shared by every request"), "{failure}");
}

#[test]
fn kv_store_checker_fails_a_synchronous_server() {
    let Some(python) = python3() else { return };
    let program = wrong("kv_store.py");
    let words = [
        python,
        &program,
        "--mistake",
        "synchronous",
        "--port",
        "{port}",
    ];
    let failure = run("ch5-kv-store", &words).unwrap_err();
    // A second connection waits for the first to leave.
    assert!(failure.contains("another connection reads"), "{failure}");
    assert!(failure.contains("a thread of its own"), "{failure}");
}

#[test]
fn chat_room_checker_passes_the_solution() {
    let passed = run(
        "ch5-chat-room",
        &[env!("CARGO_BIN_EXE_ch5-chat-room"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 7, "{passed:?}");
}

#[test]
fn chat_room_checker_fails_a_synchronous_server() {
    // Chapter 5's upper-casing server, one client at a time: no welcome.
    let server = env!("CARGO_BIN_EXE_upper-server");
    let failure = run(
        "ch5-chat-room",
        &[server, "--model", "sync", "--port", "{port}"],
    )
    .unwrap_err();
    assert!(failure.contains("a newcomer is welcomed"), "{failure}");
}

#[test]
fn chat_room_checker_fails_a_room_that_echoes_to_the_sender() {
    let Some(python) = python3() else { return };
    let program = wrong("chat_room.py");
    let words = [python, &program, "--mistake", "echo", "--port", "{port}"];
    let failure = run("ch5-chat-room", &words).unwrap_err();
    assert!(failure.contains("not back to its sender"), "{failure}");
}

#[test]
fn chat_room_checker_fails_a_leave_said_at_the_end_of_handle() {
    let Some(python) = python3() else { return };
    let program = wrong("chat_room.py");
    let words = [
        python,
        &program,
        "--mistake",
        "leave-in-handle",
        "--port",
        "{port}",
    ];
    let failure = run("ch5-chat-room", &words).unwrap_err();
    // A plain close passes; the reset makes handle() raise, and the leave
    // is never said.
    assert!(failure.contains("connection is reset"), "{failure}");
    assert!(failure.contains("in `finish`"), "{failure}");
}
