//! Each checker passes its reference solution and fails a wrong program.

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
fn recv_exact_checker_passes_the_solution() {
    let passed = check_program(
        &checkers(),
        "ch4-recv-exact",
        &[env!("CARGO_BIN_EXE_ch4-recv-exact"), "--port", "{port}"],
    )
    .unwrap();
    assert_eq!(passed.len(), 5, "{passed:?}");
}

#[test]
fn safe_path_checker_passes_the_solution() {
    let program: &[&str] = &[
        env!("CARGO_BIN_EXE_ch4-safe-path"),
        "--port",
        "{port}",
        "--root",
        "{path}",
    ];
    let passed = check_program(&checkers(), "ch4-safe-path", program).unwrap();
    assert_eq!(passed.len(), 10, "{passed:?}");
}

/// A receiver that reads whatever arrives, as much as it can.
const OVER_READER: &str = r#"
import hashlib, socket, sys, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def serve(c):
    f = c.makefile("rb")
    while True:
        line = f.readline()
        if not line: return
        size, got, m = int(line), 0, hashlib.md5()
        while got < size:
            data = f.read1(65536)   # asks for more than is owed
            m.update(data); got += len(data)
        digest = f.read(32)
        c.sendall(b"ok\n" if m.hexdigest().encode() == digest else b"mismatch\n")
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#;

/// A file server that joins the name to the root and opens it.
const NAIVE_SERVER: &str = r#"
import os, socket, sys, threading
root = sys.argv[sys.argv.index("--root") + 1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def serve(c):
    for line in c.makefile("rb"):
        path = os.path.join(root, line.decode().rstrip("\n"))
        try:
            data = open(path, "rb").read()
            c.sendall(b"ok %d\n" % len(data) + data)
        except FileNotFoundError:
            c.sendall(b"missing\n")
        except OSError:
            c.sendall(b"refused\n")
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#;

#[test]
fn recv_exact_checker_fails_a_program_that_reads_too_much() {
    let Some(python) = python3() else { return };
    let failure = check_program(
        &checkers(),
        "ch4-recv-exact",
        &[python, "-c", OVER_READER, "--port", "{port}"],
    )
    .unwrap_err();
    assert!(failure.contains("expected"), "{failure}");
}

#[test]
fn safe_path_checker_fails_a_naive_file_server() {
    let Some(python) = python3() else { return };
    let program: &[&str] = &[
        python,
        "-c",
        NAIVE_SERVER,
        "--port",
        "{port}",
        "--root",
        "{path}",
    ];
    let failure = check_program(&checkers(), "ch4-safe-path", program).unwrap_err();
    assert!(failure.contains("(the program served it)"), "{failure}");
}
