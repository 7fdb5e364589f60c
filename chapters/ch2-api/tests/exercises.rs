//! Each checker passes its reference solution and fails wrong programs.

use crate::common;

/// The chapter's checkers, kept beside its exercises (the checker builds
/// them too).
#[path = "../checks.rs"]
#[allow(dead_code)] // a test uses only some of what the checker uses
pub mod checks;
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

#[test]
fn read_timeout_checker_passes_the_solution() {
    let passed = check_program(
        &checkers(),
        "ch2-read-timeout",
        &[env!("CARGO_BIN_EXE_ch2-read-timeout"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 6, "{passed:?}");
}

/// An echo server whose connections wait `TIMEOUT` (a Python expression)
/// and do `ON_TIMEOUT` when a read times out.
fn quiet_server(timeout: &str, on_timeout: &str) -> String {
    format!(
        r#"
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def serve(c):
    c.settimeout({timeout})
    while True:
        try:
            d = c.recv(4096)
        except TimeoutError:
            {on_timeout}
        if not d: break
        c.sendall(d)
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#
    )
}

#[test]
fn read_timeout_checker_fails_a_server_that_never_times_out() {
    let Some(python) = python3() else { return };
    let script = quiet_server("None", "break");
    let failure = check_program(
        &checkers(),
        "ch2-read-timeout",
        &[python, "-c", &script, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        failure.starts_with("a client quiet for a second is asked"),
        "{failure}"
    );
    assert!(failure.contains("no read timed out"), "{failure}");
}

#[test]
fn read_timeout_checker_fails_a_server_that_drops_a_quiet_client() {
    let Some(python) = python3() else { return };
    // The timeout taken for a broken connection: Rust's `TimedOut` arm
    // alone does this on Linux, where a read timeout is `WouldBlock`.
    let script = quiet_server("1", "break");
    let failure = check_program(
        &checkers(),
        "ch2-read-timeout",
        &[python, "-c", &script, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        failure.starts_with("a client quiet for a second is asked"),
        "{failure}"
    );
    assert!(failure.contains("a timeout is not an error"), "{failure}");
}

#[test]
fn read_timeout_checker_fails_a_timeout_of_milliseconds() {
    let Some(python) = python3() else { return };
    let script = quiet_server("0.01", r#"c.sendall(b"still there?\n"); continue"#);
    let failure = check_program(
        &checkers(),
        "ch2-read-timeout",
        &[python, "-c", &script, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(
        failure.starts_with("`still there?` comes at most once a second"),
        "{failure}"
    );
}

#[test]
fn relay_checker_passes_the_solution() {
    let passed = check_program(
        &checkers(),
        "ch2-relay",
        &[
            env!("CARGO_BIN_EXE_ch2-relay"),
            "--port",
            "{port}",
            "--to",
            "{path}",
        ],
    )
    .unwrap();
    assert_eq!(passed.len(), 12, "{passed:?}");
}

/// A relay that calls `relay(client, upstream)` (Python) for each client,
/// after connecting to the path given as `--to`.
fn relay_server(relay: &str) -> String {
    format!(
        r#"
import socket, sys, threading
to = sys.argv[sys.argv.index("--to") + 1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def copy(a, b):
    while True:
        d = a.recv(65536)
        if not d: return
        b.sendall(d)
{relay}
def serve(c):
    u = socket.socket(socket.AF_UNIX); u.connect(to)
    relay(c, u)
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#
    )
}

fn judge_relay(relay: &str) -> String {
    let python = python3().expect("python3");
    let script = relay_server(relay);
    check_program(
        &checkers(),
        "ch2-relay",
        &[python, "-c", &script, "--port", "{port}", "--to", "{path}"],
    )
    .unwrap_err()
}

#[test]
fn relay_checker_fails_a_relay_that_copies_one_way_then_the_other() {
    if python3().is_none() {
        return;
    }
    let failure = judge_relay(
        "def relay(c, u):\n    copy(c, u); u.shutdown(socket.SHUT_WR)\n    copy(u, c); c.close(); u.close()\n",
    );
    assert!(
        failure
            .starts_with("what the upstream sends reaches the client, while both are still open"),
        "{failure}"
    );
}

#[test]
fn relay_checker_fails_a_relay_that_does_not_pass_the_end_on() {
    if python3().is_none() {
        return;
    }
    let failure = judge_relay(
        "def relay(c, u):\n    threading.Thread(target=copy, args=(c, u)).start()\n    copy(u, c); c.close(); u.close()\n",
    );
    assert!(
        failure.starts_with("when the client ends its side, the upstream reads the end"),
        "{failure}"
    );
}

#[test]
fn relay_checker_fails_a_relay_that_closes_both_at_the_first_end() {
    if python3().is_none() {
        return;
    }
    let failure = judge_relay(
        "def relay(c, u):\n    def one(a, b):\n        copy(a, b)\n        for x in (c, u):\n            try: x.shutdown(socket.SHUT_RDWR)\n            except OSError: pass\n    threading.Thread(target=one, args=(c, u)).start()\n    one(u, c)\n",
    );
    assert!(
        failure.starts_with(
            "after the client's end, what the upstream sends still reaches the client"
        ),
        "{failure}"
    );
}
