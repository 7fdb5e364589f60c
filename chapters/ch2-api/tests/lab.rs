//! The socket lab, end to end: lab-server and lab-client as real processes.

use crate::common;

use std::time::Duration;

use book_support::ServerProcess;
use common::BOUND;

fn server(extra: &[&str]) -> ServerProcess {
    let mut args = vec!["--port", "0"];
    args.extend_from_slice(extra);
    ServerProcess::start(env!("CARGO_BIN_EXE_lab-server"), args).unwrap()
}

fn client(port: &str, extra: &[&str], stdin: &str) -> assert_cmd::assert::Assert {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_lab-client"))
        .args(["--host", "127.0.0.1", "--port", port])
        .args(extra)
        .write_stdin(stdin.to_string())
        .timeout(BOUND)
        .assert()
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn half_close_then_the_summary_still_arrives() {
    let server = server(&[]);
    let port = server.port().unwrap();
    let run = client(
        &port,
        &[],
        "send hello\nrecv 1024\nshutdown\nrecv 1024\nrecv 1024\n",
    )
    .success();
    let out = stdout(&run);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("create_connection((\"127.0.0.1\", "),
        "{out}"
    );
    assert_eq!(
        &lines[1..],
        [
            "send(5 bytes): 5",
            "recv(1024): 5 bytes \"hello\"",
            "shutdown(SHUT_WR): done; reading still works",
            "recv(1024): 40 bytes \"you sent 5 bytes; I needed 2 recv calls\\n\"",
            "recv(1024): 0 bytes, end of stream",
        ],
        "{out}"
    );
    server.wait_for_line("accept(): 127.0.0.1:", BOUND).unwrap();
    server.wait_for_line("5 bytes \"hello\"", BOUND).unwrap();
    server
        .wait_for_line("0 bytes, end of stream", BOUND)
        .unwrap();
}

#[test]
fn recv_returns_at_most_what_is_asked() {
    let server = server(&[]);
    let run = client(
        &server.port().unwrap(),
        &[],
        "send hello world\nrecv 4\nrecv 100\n",
    )
    .success();
    let out = stdout(&run);
    assert!(out.contains("recv(4): 4 bytes \"hell\""), "{out}");
    // The rest is whatever of the echo had arrived: at most the 7 bytes left.
    assert!(out.contains("recv(100): "), "{out}");
}

#[test]
fn timeouts_and_nonblocking_reads_are_would_block() {
    let server = server(&[]);
    let run = client(
        &server.port().unwrap(),
        &[],
        "timeout 0.2\nrecv 10\ntimeout none\nblocking off\nrecv 10\n",
    )
    .success();
    let out = stdout(&run);
    assert!(out.contains("settimeout(Some(200ms)): done"), "{out}");
    assert_eq!(
        out.matches("recv(10): WouldBlock (os error 11: Resource temporarily unavailable)")
            .count(),
        2,
        "{out}"
    );
    assert!(out.contains("setblocking(False): done"), "{out}");
}

#[test]
fn names_numbers_and_a_closed_socket() {
    let server = server(&[]);
    let port = server.port().unwrap();
    let run = client(&port, &[], "peer\nlocal\nfileno\nclose\nsend late\nbogus\n").success();
    let out = stdout(&run);
    assert!(
        out.contains(&format!("getpeername(): 127.0.0.1:{port}")),
        "{out}"
    );
    assert!(out.contains("getsockname(): 127.0.0.1:"), "{out}");
    assert!(out.contains("fileno(): 3"), "{out}");
    assert!(out.contains("close(): done"), "{out}");
    assert!(out.contains("error: the socket is closed"), "{out}");
}

#[test]
fn a_server_that_never_accepts_lets_backlog_plus_one_wait() {
    let server = server(&["--backlog", "1", "--no-accept"]);
    let port = server.port().unwrap();
    server.wait_for_line("not calling accept", BOUND).unwrap();
    let quick = ["--connect-timeout", "0.3"];
    // Each client connects and exits; its connection stays in the queue.
    client(&port, &quick, "").success();
    client(&port, &quick, "").success();
    client(&port, &quick, "")
        .failure()
        .stderr(predicates::str::contains("timed out"));
}

#[test]
fn nothing_listening_is_one_error_line() {
    let (_holder, closed) = ch2_api::connect::closed_port().unwrap();
    client(&closed.port().to_string(), &[], "")
        .failure()
        .stderr(predicates::str::starts_with(
            "error: cannot connect to 127.0.0.1 port",
        ))
        .stderr(predicates::str::contains(
            "Connection refused (os error 111)",
        ));
}

#[test]
fn the_server_refuses_a_port_in_use() {
    let first = server(&[]);
    let port = first.port().unwrap();
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_lab-server"))
        .args(["--port", &port])
        .timeout(Duration::from_secs(10))
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "Address already in use (os error 98)",
        ));
}

#[test]
fn python_answers_as_the_book_says() {
    let Some(python) = common::python3() else {
        return;
    };
    let program = format!("{}/python/calls.py", env!("CARGO_MANIFEST_DIR"));
    let out = assert_cmd::Command::new(python)
        .arg(program)
        .timeout(BOUND)
        .assert()
        .success();
    let out = stdout(&out);
    for line in [
        "connect_ex refused: 111",
        "recv after settimeout(0.2): TimeoutError timed out",
        "recv after settimeout(0): BlockingIOError 11",
        "getaddrinfo: AF_INET SOCK_STREAM 6 ('127.0.0.1', 80)",
        "getaddrinfo: AF_INET SOCK_DGRAM 17 ('127.0.0.1', 80)",
        "send to a closed peer: ",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
}
