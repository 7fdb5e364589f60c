//! The exercises' checkers: each passes its reference solution (and the
//! chapter's own server), and fails wrong programs at the right expectation.

/// The chapter's checkers, kept beside its exercises (the checker builds
/// them too).
#[path = "../checks.rs"]
#[allow(dead_code)] // a test uses only some of what the checker uses
mod checks;
use book_support::check::{Failure, run_checker};
use checks::checkers;

fn words(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Runs the checker `name` against `program`; returns what passed and the failure.
fn judge(name: &str, program: Vec<String>) -> (Vec<String>, Option<Failure>) {
    let words: Vec<&str> = program.iter().map(String::as_str).collect();
    let (passed, result) = run_checker(&checkers(), name, &words);
    (passed, result.err())
}

fn assert_passes(name: &str, program: Vec<String>) {
    let (passed, failure) = judge(name, program.clone());
    if let Some(failure) = failure {
        panic!("{name} failed {program:?}:\n{failure}\npassed: {passed:?}");
    }
    assert_eq!(passed.len(), 6, "{name}: {passed:?}");
}

const SERVER: &str = env!("CARGO_BIN_EXE_echo-server");
const UDP_SOLUTION: &str = env!("CARGO_BIN_EXE_ch1-udp-echo");
const UNIX_SOLUTION: &str = env!("CARGO_BIN_EXE_ch1-unix-echo");
const TCP_SOLUTION: &str = env!("CARGO_BIN_EXE_ch1-tcp-echo");
const SEQPACKET_SOLUTION: &str = env!("CARGO_BIN_EXE_ch1-seqpacket");

#[test]
fn there_is_one_checker_per_exercise() {
    let names: Vec<&str> = checkers().iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "ch1-tcp-echo",
            "ch1-udp-echo",
            "ch1-unix-echo",
            "ch1-seqpacket"
        ]
    );
    let toml = include_str!("../exercises/exercises.toml");
    for name in names {
        assert!(
            toml.contains(&format!("name = \"{name}\"")),
            "{name} is not in exercises.toml"
        );
    }
}

#[test]
fn the_udp_checker_passes_the_solution() {
    assert_passes("ch1-udp-echo", words(&[UDP_SOLUTION, "--port", "{port}"]));
}

#[test]
fn the_unix_checker_passes_the_solution() {
    assert_passes("ch1-unix-echo", words(&[UNIX_SOLUTION, "{path}"]));
}

#[test]
fn the_chapters_own_server_passes_both() {
    assert_passes(
        "ch1-udp-echo",
        words(&[SERVER, "--transport", "udp", "--port", "{port}"]),
    );
    assert_passes(
        "ch1-unix-echo",
        words(&[SERVER, "--transport", "unix-dgram", "--path", "{path}"]),
    );
}

#[test]
fn a_server_with_the_articles_1024_byte_buffer_fails_at_the_big_datagram() {
    for (name, program) in [
        (
            "ch1-udp-echo",
            words(&[
                SERVER,
                "--transport",
                "udp",
                "--port",
                "{port}",
                "--buffer",
                "1024",
            ]),
        ),
        (
            "ch1-unix-echo",
            words(&[
                SERVER,
                "--transport",
                "unix-dgram",
                "--path",
                "{path}",
                "--buffer",
                "1024",
            ]),
        ),
    ] {
        let (passed, failure) = judge(name, program);
        let failure =
            failure.unwrap_or_else(|| panic!("{name} passed a server that cuts datagrams"));
        assert_eq!(
            failure.expectation, "a 60,000-byte datagram comes back whole",
            "{name}"
        );
        assert_eq!(
            failure.expected,
            format!("one datagram of 60000 bytes, {}", preview_of_big())
        );
        assert!(
            failure.got.starts_with("a datagram of 1024 bytes"),
            "{failure}"
        );
        assert!(
            failure.got.ends_with("(is the receive buffer too small?)"),
            "{failure}"
        );
        assert_eq!(passed.len(), 2, "{name}: {passed:?}");
    }
}

fn preview_of_big() -> &'static str {
    "b'abcdefghijklmnopqrstuvwxyz0123456789abcd'... (60000 bytes in all)"
}

#[test]
fn the_unix_checker_fails_a_server_that_leaves_the_stale_file() {
    let program = words(&[
        SERVER,
        "--transport",
        "unix-dgram",
        "--path",
        "{path}",
        "--no-unlink",
    ]);
    let (passed, failure) = judge("ch1-unix-echo", program);
    let failure = failure.expect("a server that cannot start must fail");
    assert!(
        failure
            .expectation
            .starts_with("the program removes the stale socket file"),
        "{failure}"
    );
    // Why, in the program's own words.
    assert!(
        failure
            .note
            .as_deref()
            .is_some_and(|note| note.contains("Address already in use")),
        "{failure}"
    );
    assert!(passed.is_empty());
}

#[test]
fn the_udp_checker_fails_a_program_that_prints_port_zero() {
    // A shell one-liner that prints the wrong address and serves nothing.
    let program = words(&[
        "sh",
        "-c",
        "echo 'listening on 127.0.0.1:0'; sleep 30",
        "{port}",
    ]);
    let (_, failure) = judge("ch1-udp-echo", program);
    let failure = failure.expect("port 0 is not an address to reach");
    assert_eq!(
        failure.expectation,
        "the program listens on 127.0.0.1 and prints the real port"
    );
    assert!(failure.got.contains("print the one it chose"), "{failure}");
}

#[test]
fn each_checker_fails_the_other_exercises_solution() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.sock");
    // A Unix server prints a path where the UDP checker expects an address.
    let (passed, failure) = judge(
        "ch1-udp-echo",
        words(&[UNIX_SOLUTION, path.to_str().unwrap()]),
    );
    let failure = failure.expect("a unix server is no UDP server");
    assert_eq!(
        failure.expectation,
        "the program listens on 127.0.0.1 and prints the real port"
    );
    assert!(passed.is_empty());
    // A command line with no {path} is told so before it runs.
    let (passed, failure) = judge("ch1-unix-echo", words(&[UDP_SOLUTION, "--port", "{port}"]));
    let failure = failure.expect("a program given no path cannot pass");
    assert_eq!(
        failure.expectation,
        "the program is given the path of its socket"
    );
    assert!(failure.got.contains("no `{path}`"), "{failure}");
    assert!(passed.is_empty());
    // A UDP server prints an address where the unix checker expects its path.
    let (passed, failure) = judge(
        "ch1-unix-echo",
        // (sh hands the path to nobody: the UDP server gets `--port 0`.)
        words(&["sh", "-c", "exec \"$0\" --port 0", UDP_SOLUTION, "{path}"]),
    );
    let failure = failure.expect("a UDP server is no unix server");
    assert_eq!(
        failure.expectation,
        "the program prints `listening on PATH` with the path it was given"
    );
    assert!(passed.is_empty());
}

#[test]
fn a_program_that_ends_is_reported_at_once_not_after_the_timeout() {
    // A port we hold, so the datagrams go somewhere that never answers, and
    // a "server" that announces it and ends, as a starter at its todo!() does.
    let holder = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = holder.local_addr().unwrap();
    let script = format!("echo 'listening on {address}'; exit 3");
    let started = std::time::Instant::now();
    let (passed, failure) = judge("ch1-udp-echo", words(&["sh", "-c", &script, "{port}"]));
    let failure = failure.expect("a program that ended echoes nothing");
    assert_eq!(failure.got, "nothing: the program ended (exit status: 3)");
    assert_eq!(passed.len(), 1);
    assert!(
        started.elapsed() < book_support::check::ANSWER_TIMEOUT,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_python_server_with_recvfrom_1024_fails_at_the_big_datagram() {
    // The book's exercise page shows this program judged by the checker.
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: python3 is not installed here, so the Python example cannot run");
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/exercises/python/udp_echo_1024.py"
    );
    let (passed, failure) = judge(
        "ch1-udp-echo",
        words(&["python3", script, "--port", "{port}"]),
    );
    let failure = failure.expect("recvfrom(1024) cannot echo 60,000 bytes");
    assert_eq!(
        failure.expectation,
        "a 60,000-byte datagram comes back whole"
    );
    assert!(
        failure.got.starts_with("a datagram of 1024 bytes"),
        "{failure}"
    );
    assert_eq!(passed.len(), 2, "{passed:?}");
}

/// Whether python3 runs here; says SKIPPED when it does not.
fn python3() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "SKIPPED: python3 is not installed here, so the wrong Python programs cannot run"
        );
    }
    found
}

/// Runs `script` (Python) under the checker `name`, with `args` after it.
fn judge_python(name: &str, script: &str, args: &[&str]) -> (Vec<String>, Failure) {
    let mut program = words(&["python3", "-c", script]);
    program.extend(words(args));
    let (passed, failure) = judge(name, program);
    let failure = failure.unwrap_or_else(|| panic!("{name} passed a wrong program:\n{script}"));
    (passed, failure)
}

#[test]
fn the_tcp_checker_passes_the_solution_and_the_chapters_server() {
    for program in [
        words(&[TCP_SOLUTION, "--port", "{port}"]),
        words(&[SERVER, "--transport", "tcp", "--port", "{port}"]),
    ] {
        let (passed, failure) = judge("ch1-tcp-echo", program.clone());
        assert!(failure.is_none(), "{program:?}: {failure:?}");
        assert_eq!(passed.len(), 7, "{passed:?}");
    }
}

/// The opening of every wrong TCP server below.
const TCP_PREAMBLE: &str = r#"
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
"#;

#[test]
fn the_tcp_checker_fails_a_server_that_reads_once() {
    if !python3() {
        return;
    }
    // The course's first server, in a loop: one recv, one sendall, close.
    let script = format!(
        "{TCP_PREAMBLE}while True:\n    c, _ = s.accept()\n    c.sendall(c.recv(1024))\n    c.close()\n"
    );
    let (passed, failure) = judge_python("ch1-tcp-echo", &script, &["{port}"]);
    assert!(
        failure
            .expectation
            .starts_with("a second message on the same connection"),
        "{failure}"
    );
    assert_eq!(passed.len(), 2, "{passed:?}");
}

#[test]
fn the_tcp_checker_fails_a_server_that_never_sees_the_end() {
    if !python3() {
        return;
    }
    // No `if not data: break`: after the client's end, recv returns b''
    // at once, for ever, and the connection is never closed.
    let script = format!(
        "{TCP_PREAMBLE}while True:\n    c, _ = s.accept()\n    while True:\n        c.sendall(c.recv(1024))\n"
    );
    let (passed, failure) = judge_python("ch1-tcp-echo", &script, &["{port}"]);
    assert!(
        failure
            .expectation
            .starts_with("when the client ends its side, the server closes"),
        "{failure}"
    );
    assert!(failure.got.contains("still open"), "{failure}");
    assert_eq!(passed.len(), 4, "{passed:?}");
}

#[test]
fn the_tcp_checker_fails_a_server_that_serves_one_client() {
    if !python3() {
        return;
    }
    let script = format!(
        "{TCP_PREAMBLE}c, _ = s.accept()\nwhile True:\n    d = c.recv(1024)\n    if not d: break\n    c.sendall(d)\n"
    );
    let (passed, failure) = judge_python("ch1-tcp-echo", &script, &["{port}"]);
    assert_eq!(
        failure.expectation,
        "a second client is served after the first"
    );
    assert!(failure.got.contains("the program ended"), "{failure}");
    assert_eq!(passed.len(), 5, "{passed:?}");
}

#[test]
fn the_tcp_checker_fails_a_server_that_dies_when_a_client_resets() {
    if !python3() {
        return;
    }
    // Right in every way but one: nothing catches ConnectionResetError.
    let script = format!(
        "{TCP_PREAMBLE}while True:\n    c, _ = s.accept()\n    while True:\n        d = c.recv(1024)\n        if not d: break\n        c.sendall(d)\n    c.close()\n"
    );
    let (passed, failure) = judge_python("ch1-tcp-echo", &script, &["{port}"]);
    assert!(
        failure
            .expectation
            .starts_with("after a client resets its connection, the next client is served"),
        "{failure}"
    );
    assert!(failure.got.contains("the program ended"), "{failure}");
    assert!(
        failure
            .note
            .as_deref()
            .is_some_and(|n| n.contains("ConnectionResetError")),
        "{failure}"
    );
    assert_eq!(passed.len(), 6, "{passed:?}");
}

#[test]
fn the_seqpacket_checker_passes_the_solution() {
    let (passed, failure) = judge("ch1-seqpacket", words(&[SEQPACKET_SOLUTION, "{path}"]));
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(passed.len(), 7, "{passed:?}");
}

#[test]
fn the_seqpacket_checker_fails_an_echo_server_of_each_connected_type() {
    // The chapter's echo server over seqpacket answers with the message
    // itself, not its size.
    let (passed, failure) = judge(
        "ch1-seqpacket",
        words(&[SERVER, "--transport", "unix-seqpacket", "--path", "{path}"]),
    );
    let failure = failure.expect("an echo is not a size");
    assert_eq!(
        failure.expectation,
        "the message `hello` is answered with one message, `5`"
    );
    assert!(failure.got.contains("b'hello'"), "{failure}");
    assert_eq!(passed.len(), 2, "{passed:?}");
    // Over a stream, a seqpacket client cannot even connect.
    let (passed, failure) = judge(
        "ch1-seqpacket",
        words(&[SERVER, "--transport", "unix-stream", "--path", "{path}"]),
    );
    let failure = failure.expect("a stream socket is not a seqpacket socket");
    assert_eq!(
        failure.expectation,
        "a SOCK_SEQPACKET client can connect to PATH"
    );
    assert!(failure.got.contains("wrong type"), "{failure}");
    assert!(
        failure
            .note
            .as_deref()
            .is_some_and(|n| n.contains("is yours SOCK_STREAM")),
        "{failure}"
    );
    assert_eq!(passed.len(), 1, "{passed:?}");
}

#[test]
fn the_seqpacket_checker_fails_a_server_with_a_1024_byte_buffer() {
    if !python3() {
        return;
    }
    let script = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1]); s.listen()
print("listening on " + sys.argv[1], flush=True)
while True:
    c, _ = s.accept()
    while True:
        m = c.recv(1024)
        if not m: break
        c.send(str(len(m)).encode())
"#;
    let (passed, failure) = judge_python("ch1-seqpacket", script, &["{path}"]);
    assert_eq!(
        failure.expectation,
        "a message of 60,000 bytes is answered `60000`"
    );
    assert!(failure.got.contains("b'1024'"), "{failure}");
    assert!(
        failure.got.contains("is the buffer too small?"),
        "{failure}"
    );
    assert_eq!(passed.len(), 4, "{passed:?}");
}
