//! The `ch2-sendall` checker tells a blocking `sendall()` from the loop
//! the exercise asks for: both deliver every byte, so it looks at the
//! program's socket while a 64 MiB answer waits for a reader that takes
//! nothing, and a blocking socket fails.

use crate::common;

use crate::exercises::checks::checkers;
use book_support::check::check_program;
use common::python3;

/// A Python program in the chapter's folder.
fn program(name: &str) -> String {
    format!("{}/exercises/python/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_blocking_sendall_fails_because_its_socket_is_blocking() {
    let Some(python) = python3() else { return };
    let file = program("sendall_blocking.py");
    let failure = check_program(
        &checkers(),
        "ch2-sendall",
        &[python, &file, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        failure.starts_with("while a 64 MiB answer waits for a reader that takes nothing"),
        "{failure}"
    );
    assert!(failure.contains("got:      a blocking socket"), "{failure}");
    assert!(
        failure.contains("sendall() waits inside the kernel"),
        "{failure}"
    );
}

#[test]
fn the_loop_over_send_on_a_non_blocking_socket_passes() {
    let Some(python) = python3() else { return };
    let file = program("ch2-sendall.py");
    let passed = check_program(
        &checkers(),
        "ch2-sendall",
        &[python, &file, "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 6, "{passed:?}");
    assert!(passed[5].contains("socket is non-blocking"), "{passed:?}");
}
