//! Each checker passes its reference solution and fails wrong programs.

mod common;

/// The chapter's checkers, kept beside its exercises (the checker builds
/// them too).
#[path = "../checks.rs"]
#[allow(dead_code)] // a test uses only some of what the checker uses
mod checks;
use book_support::check::check_program;
use checks::checkers;
use common::python3;

#[test]
fn sendall_checker_passes_the_solution() {
    let passed = check_program(
        &checkers(),
        "ch2-sendall",
        &[env!("CARGO_BIN_EXE_ch2-sendall"), "--port", "{port}"],
    )
    .unwrap();
    // Five answers, then the socket seen non-blocking while it waits.
    assert_eq!(passed.len(), 6, "{passed:?}");
}

#[test]
fn connect_fallback_checker_passes_the_solution() {
    let passed = check_program(
        &checkers(),
        "ch2-connect-fallback",
        &[
            env!("CARGO_BIN_EXE_ch2-connect-fallback"),
            "--port",
            "{port}",
        ],
    )
    .unwrap();
    assert_eq!(passed.len(), 5, "{passed:?}");
}

/// Sends each answer with one `send` on a non-blocking socket.
const ONE_SEND: &str = r#"
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def serve(c):
    f = c.makefile("rb")
    for line in f:
        data = bytes(i % 251 for i in range(int(line)))
        c.setblocking(False)
        try: c.send(data)
        except BlockingIOError: pass
        c.setblocking(True)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#;

/// Tries only the first address of each line.
const FIRST_ONLY: &str = r#"
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def addr(word):
    host, port = word.rsplit(":", 1)
    return (host.strip("[]"), int(port))
def fmt(a):
    return ("[%s]:%d" if ":" in a[0] else "%s:%d") % a[:2]
def serve(c):
    for line in c.makefile("rb"):
        first = addr(line.split()[0].decode())
        try:
            conn = socket.create_connection(first, timeout=1)
            c.sendall(b"connected %s\n" % fmt(conn.getpeername()).encode())
        except OSError as e:
            c.sendall(b"failed: %s\n" % str(e).encode())
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#;

/// Tries every address, but with no timeout.
const NO_TIMEOUT: &str = r#"
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def fmt(a):
    return ("[%s]:%d" if ":" in a[0] else "%s:%d") % a[:2]
def serve(c):
    for line in c.makefile("rb"):
        last = None
        for word in line.split():
            host, port = word.decode().rsplit(":", 1)
            try:
                conn = socket.create_connection((host.strip("[]"), int(port)))
                c.sendall(b"connected %s\n" % fmt(conn.getpeername()).encode()); break
            except OSError as e:
                last = e
        else:
            c.sendall(b"failed: %s\n" % str(last).encode())
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#;

#[test]
fn sendall_checker_fails_a_single_send() {
    let Some(python) = python3() else { return };
    let failure = check_program(
        &checkers(),
        "ch2-sendall",
        &[python, "-c", ONE_SEND, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(failure.contains("67108864 bytes"), "{failure}");
}

#[test]
fn connect_fallback_checker_fails_a_program_that_tries_one_address() {
    let Some(python) = python3() else { return };
    let failure = check_program(
        &checkers(),
        "ch2-connect-fallback",
        &[python, "-c", FIRST_ONLY, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        failure.contains("::1 refuses, 127.0.0.1 listens"),
        "{failure}"
    );
}

#[test]
fn connect_fallback_checker_fails_a_program_without_a_timeout() {
    let Some(python) = python3() else { return };
    let failure = check_program(
        &checkers(),
        "ch2-connect-fallback",
        &[python, "-c", NO_TIMEOUT, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(failure.contains("never answers"), "{failure}");
    assert!(
        failure.contains("without a timeout waits minutes"),
        "{failure}"
    );
}
