//! The programs end to end: `upper-server` and `upper-client` over every
//! transport and model, and both against the article's Python.

use crate::common;

use std::io::{Read, Write};
use std::process::Command;

use assert_cmd::Command as Cmd;
use common::{
    BOUND, INPUT, OUTPUT, client, connect, exchange, python_program, python_server, python3,
    server, talk_over_every_transport_with_every_model,
};
use predicates::prelude::*;

#[test]
fn the_client_and_server_talk_over_every_transport_with_every_model() {
    talk_over_every_transport_with_every_model(&[]);
}

#[test]
fn the_server_listens_on_the_article_port_by_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_upper-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: 9999]"), "{help}");
    assert!(help.contains("[default: threading]"), "{help}");
}

/// The server answers anyone, and over UDP it answers forged source
/// addresses: listening beyond this machine takes a second flag.
#[test]
fn the_server_refuses_an_address_other_than_loopback_unless_told() {
    for transport in [&[][..], &["--udp"][..]] {
        Cmd::new(env!("CARGO_BIN_EXE_upper-server"))
            .args(["--host", "0.0.0.0", "--port", "0"])
            .args(transport)
            .timeout(BOUND)
            .assert()
            .failure()
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(
                "error: refusing to listen on 0.0.0.0: anyone who can reach it could make it answer",
            ));
    }
}

#[test]
fn verbose_prints_each_message_as_the_article_does() {
    let s = server(&["--verbose"]);
    let mut c = connect(&s);
    exchange(&mut c, "  hi there ", "HI THERE");
    let line = s.wait_for_line("wrote:", BOUND).unwrap();
    assert!(
        line.starts_with("127.0.0.1:") && line.ends_with(" wrote: hi there"),
        "{line}"
    );
}

#[test]
fn two_messages_in_one_write_get_two_answers() {
    let s = server(&[]);
    let mut c = connect(&s);
    c.write_all(b"ab\ncd\n").unwrap();
    let mut got = [0; 4];
    c.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"ABCD");
}

#[test]
fn the_article_server_answers_two_messages_in_one_write_as_one() {
    // 粘包: the article's handler answers what one recv returned.
    let Some(py) = python_server() else { return };
    let mut c = connect(&py);
    c.write_all(b"ab\ncd\n").unwrap();
    let mut got = [0; 5];
    c.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"AB\nCD");
}

#[test]
fn a_blank_message_gets_no_answer_and_the_connection_stays() {
    let s = server(&[]);
    let mut c = connect(&s);
    c.write_all(b"   \n").unwrap();
    exchange(&mut c, "after", "AFTER");
}

#[test]
fn the_article_server_takes_a_blank_message_for_a_disconnect() {
    // `.strip()` before `if not self.data: break`: white space looks like EOF.
    let Some(py) = python_server() else { return };
    let mut c = connect(&py);
    c.write_all(b"   \n").unwrap();
    assert!(common::read_to_end(&mut c).is_empty());
}

#[test]
fn the_rust_server_answers_the_article_style_python_client() {
    let Some(python) = python3() else { return };
    let s = server(&[]);
    let port = s.port().unwrap();
    Cmd::new(python)
        .args([&python_program("article_client.py"), "--port", &port])
        .write_stdin(INPUT)
        .timeout(BOUND)
        .assert()
        .success()
        .stdout(predicate::str::contains("recv: HELLO\n"))
        .stdout(predicate::str::contains("recv: SPACED OUT\n"))
        .stdout(predicate::str::contains("recv: MIXED 123 ü\n"));
}

#[test]
fn the_rust_client_talks_to_the_article_python_server() {
    let Some(py) = python_server() else { return };
    client(&["--port", &py.port().unwrap()], INPUT)
        .success()
        .stdout(OUTPUT);
}

#[test]
fn the_article_python_pair_agrees_with_the_rust_pair() {
    let Some(python) = python3() else { return };
    let Some(py) = python_server() else { return };
    Cmd::new(python)
        .args([
            &python_program("article_client.py"),
            "--port",
            &py.port().unwrap(),
        ])
        .write_stdin(INPUT)
        .timeout(BOUND)
        .assert()
        .success()
        .stdout(">>:recv: HELLO\n>>:recv: SPACED OUT\n>>:>>:recv: MIXED 123 ü\n>>:");
}

#[test]
fn a_client_with_no_server_says_so_in_one_line() {
    // Bind a port, then free it: nobody listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    client(&["--port", &port], "hello\n")
        .failure()
        .stderr(predicate::str::starts_with(
            "error: cannot connect to 127.0.0.1:",
        ))
        .stderr(predicate::str::contains("refused"));
}

#[test]
fn a_server_on_a_busy_port_says_so_in_one_line() {
    let s = server(&[]);
    let port = s.port().unwrap();
    Cmd::new(env!("CARGO_BIN_EXE_upper-server"))
        .args(["--port", &port])
        .timeout(BOUND)
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(format!(
            "error: cannot listen on 127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains("in use"));
}

#[test]
fn sigterm_stops_the_server_cleanly_and_removes_its_socket_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upper.sock");
    let s = server(&["--unix", path.to_str().unwrap()]);
    assert!(path.exists());
    s.terminate().unwrap();
    let status = s.wait_for_exit(BOUND).expect("the server exits");
    assert!(status.success());
    assert!(s.final_stderr().contains("stopped"));
    assert!(!path.exists());
}
