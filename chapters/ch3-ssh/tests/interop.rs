//! The article's way and ours talk to each other, both directions, and say
//! the same things. Needs python3; without it each test says SKIPPED.

use crate::common;

use std::io::{Read, Write};
use std::mem::MaybeUninit;
use std::process::Command;

use book_support::ServerProcess;
use book_support::check::again_if_interrupted;
use common::*;

/// Commands whose output the article's Python (UTF-8 text) handles too.
const SESSION: &[u8] =
    b"echo hello\n\nno-such-command-xyz\nprintf '%s\\n' one two three\nseq 1 3000\n";

fn python_server(python: &str) -> ServerProcess {
    ServerProcess::start(
        python,
        [python_file("article_server.py").as_str(), "--port", "0"],
    )
    .expect("the Python server starts")
}

fn python_client(python: &str, port: &str) -> Vec<u8> {
    let mut command = Command::new(python);
    command.args([python_file("article_client.py").as_str(), "--port", port]);
    let out = run_with_stdin(command, SESSION);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out.stdout
}

fn rust_client(port: &str) -> Vec<u8> {
    let out = client(port, &[], SESSION);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out.stdout
}

#[test]
fn the_rust_client_works_against_the_article_server_and_prints_the_same() {
    let Some(python) = python3() else { return };
    let server = python_server(python);
    let port = server.port().unwrap();
    let ours = rust_client(&port);
    let theirs = python_client(python, &port);
    assert!(text(&ours).contains("命令结果大小: 6\n命令结果实际大小: 6\nhello\n"));
    assert!(text(&ours).contains("这条命令错误"));
    assert_eq!(text(&ours), text(&theirs));
}

#[test]
fn the_article_client_works_against_the_rust_server_as_against_its_own() {
    let Some(python) = python3() else { return };
    let rust_server = server(&[]);
    let against_rust = python_client(python, &rust_server.port().unwrap());
    let python_server = python_server(python);
    let against_python = python_client(python, &python_server.port().unwrap());
    assert!(text(&against_rust).contains("命令结果大小: 13893\n命令结果实际大小: 13893\n1\n2\n"));
    assert_eq!(text(&against_rust), text(&against_python));
}

#[test]
fn without_the_ack_the_article_server_sends_size_and_result_glued() {
    let Some(python) = python3() else { return };
    let server = ServerProcess::start(
        python,
        [python_file("no_ack_server.py").as_str(), "--port", "0"],
    )
    .expect("the Python server starts");
    let mut stream = connect(&server);
    stream.write_all(b"echo 123").unwrap();
    // The server says when both of its sends are done ...
    server.wait_for_line("sent", TIMEOUT).unwrap();
    // ... the kernel is asked to hold all five bytes (a peek takes none) ...
    let mut peek = [MaybeUninit::<u8>::uninit(); 5];
    let sock = socket2::SockRef::from(&stream);
    assert_eq!(
        sock.recv_with_flags(&mut peek, libc::MSG_PEEK | libc::MSG_WAITALL)
            .unwrap(),
        5
    );
    // ... and ONE recv(1024) returns both sends as one piece.
    let mut buf = [0u8; 1024];
    let n = again_if_interrupted(|| stream.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"4123\n");
}

#[test]
fn the_article_server_dies_on_output_that_is_not_utf8_and_ours_does_not() {
    let Some(python) = python3() else { return };
    let theirs = python_server(python);
    let out = client(&theirs.port().unwrap(), &[], b"printf '\\377'\n");
    assert_eq!(
        text(&out.stderr),
        "error: the server closed the connection instead of answering\n"
    );
    assert!(
        theirs.wait_for_exit(TIMEOUT).is_some(),
        "the Python server has exited"
    );
    assert!(theirs.final_stderr().contains("UnicodeDecodeError"));

    let ours = server(&[]);
    let out = client(&ours.port().unwrap(), &[], b"printf '\\377'\necho alive\n");
    assert!(
        out.stdout.windows(3).any(|w| w == b": 1"),
        "{:?}",
        text(&out.stdout)
    );
    assert!(text(&out.stdout).contains("\nalive\n"));
}
