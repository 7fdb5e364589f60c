//! The article's protocol, byte for byte: `upper-server --protocol article`
//! and `upper-client --protocol article` against programs written the
//! article's way (no newline, one `recv(1024)` is one message), the bad
//! input such a server meets, and why lines stay the default.

use crate::common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;

use assert_cmd::Command as Cmd;
use book_support::ServerProcess;
use ch5_socketserver::upper::article;
use common::{
    BOUND, INPUT, OUTPUT, client, connect, python_program, python_server, python3, read_to_end,
    server, talk_over_every_transport_with_every_model,
};

/// What the article-style Python client prints for `INPUT`, answered.
const PYTHON_OUTPUT: &str = ">>:recv: HELLO\n>>:recv: SPACED OUT\n>>:>>:recv: MIXED 123 ü\n>>:";

fn article_server() -> ServerProcess {
    server(&["--protocol", "article"])
}

/// Runs the article-style Python client (`article_client_exact.py`).
fn python_client(port: &str, extra: &[&str], stdin: &str) -> Option<assert_cmd::assert::Assert> {
    let python = python3()?;
    let mut args = vec![python_program("article_client_exact.py")];
    args.extend(["--port".to_string(), port.to_string()]);
    args.extend(extra.iter().map(|a| a.to_string()));
    Some(
        Cmd::new(python)
            .args(&args)
            .write_stdin(stdin)
            .timeout(BOUND)
            .assert(),
    )
}

/// Sends `bytes` in one write, then reads exactly `expect.len()` bytes.
fn exchange_bytes(stream: &mut TcpStream, bytes: &[u8], expect: &[u8]) {
    stream.write_all(bytes).unwrap();
    let mut got = vec![0; expect.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(
        got.escape_ascii().to_string(),
        expect.escape_ascii().to_string(),
        "the answer to {}",
        bytes.escape_ascii()
    );
}

// ---- the article's programs and the Rust ones, both ways -------------------

#[test]
fn an_article_style_client_is_answered_by_the_server_in_article_mode() {
    let s = article_server();
    let Some(run) = python_client(&s.port().unwrap(), &[], INPUT) else {
        return;
    };
    run.success().stdout(PYTHON_OUTPUT);
}

#[test]
fn an_article_style_client_gets_no_answer_from_the_lines_server() {
    // The client waits for an answer; the server waits for the newline
    // that ends the message. Neither comes: the client gives up after 1 s.
    let s = server(&[]);
    let Some(run) = python_client(&s.port().unwrap(), &["--timeout", "1"], "hello\n") else {
        return;
    };
    run.failure().code(1).stdout(">>:no answer within 1 s\n");
    // The same bytes with a newline after them are answered at once.
    let mut c = connect(&s);
    exchange_bytes(&mut c, b"hello\n", b"HELLO");
}

#[test]
fn the_rust_client_in_article_mode_talks_to_the_article_python_server() {
    let Some(py) = python_server() else { return };
    client(
        &["--protocol", "article", "--port", &py.port().unwrap()],
        INPUT,
    )
    .success()
    .stdout(OUTPUT);
}

#[test]
fn both_article_modes_talk_over_every_transport_with_every_model() {
    talk_over_every_transport_with_every_model(&["--protocol", "article"]);
}

#[test]
fn both_servers_give_the_same_bytes_as_the_article_python_server() {
    // Each case is sent in one write, and its answer read before the next
    // is sent. On loopback one write of up to 64 KiB arrives whole, so what
    // one recv(1024) returns is the same for both servers.
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"hello".into(), b"HELLO".into()),
        // Python's bytes.strip(): space, \t, \n, \r, \x0b and \x0c.
        (
            b" \t\n\r\x0b\x0chi there\x0b\x0c\r\n\t ".into(),
            b"HI THERE".into(),
        ),
        // bytes.upper(): ASCII letters only; UTF-8 and other bytes pass.
        (
            b"caf\xc3\xa9 \xff\xfe\x80 ok".into(),
            b"CAF\xc3\xa9 \xff\xfe\x80 OK".into(),
        ),
        // Two messages in one write: one recv, one answer (sticky packets).
        (b"ab\ncd\n".into(), b"AB\nCD".into()),
        // Exactly one recv's worth.
        (vec![b'a'; 1024], vec![b'A'; 1024]),
        // One byte more: two recvs, two answers. Each piece is stripped, so
        // the space where the message was cut is lost.
        (
            [&[b'a'; 1023][..], b" b"].concat(),
            [&[b'A'; 1023][..], b"B"].concat(),
        ),
    ];

    let rust = article_server();
    let python = python_server();
    for s in std::iter::once(&rust).chain(python.as_ref()) {
        let mut c = connect(s);
        for (sent, answer) in &cases {
            exchange_bytes(&mut c, sent, answer);
        }
    }
}

#[test]
fn strip_and_upper_agree_with_python_on_every_byte() {
    let Some(python) = python3() else { return };
    // For each byte: is it white space to bytes.strip(), and its upper().
    let out = Command::new(python)
        .args([
            "-c",
            "import sys\n\
             sys.stdout.write(bytes(b for b in range(256) if not bytes([b]).strip()).hex())\n\
             sys.stdout.write(' ')\n\
             sys.stdout.write(bytes(range(256)).upper().hex())",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let (white, upper) = text.split_once(' ').unwrap();
    let ours_white: String = (0..=255u8)
        .filter(|&b| article::strip(&[b]).is_empty())
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(ours_white, white);
    let all: Vec<u8> = (0..=255).collect();
    let ours_upper: String = all
        .to_ascii_uppercase()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(ours_upper, upper);
}

// ---- bad input --------------------------------------------------------------

#[test]
fn an_empty_send_is_no_message_and_a_close_ends_the_connection() {
    let s = article_server();
    let mut c = connect(&s);
    // send(b"") puts nothing on the wire: the server sees no message.
    assert_eq!(c.write(b"").unwrap(), 0);
    exchange_bytes(&mut c, b"after nothing", b"AFTER NOTHING");
    // The client closes its side: the server's recv returns b"", and it
    // closes the connection instead of spinning on it.
    c.shutdown(Shutdown::Write).unwrap();
    assert!(read_to_end(&mut c).is_empty());
    // And it serves the next client.
    let mut next = connect(&s);
    exchange_bytes(&mut next, b"next", b"NEXT");
}

#[test]
fn white_space_only_gets_an_empty_answer_and_the_connection_stays() {
    // The article's handler as printed sends b"" (nothing) and reads on.
    // (The Python server in python/ tests `if not self.data` after the
    // strip, and hangs up instead: see tests/upper.rs,
    // the_article_server_takes_a_blank_message_for_a_disconnect.)
    let s = article_server();
    let mut c = connect(&s);
    c.write_all(b" \t\r\n\x0b\x0c").unwrap();
    // Whether "after" comes in the same recv or the next, the answer is
    // "AFTER": the white space is stripped either way.
    exchange_bytes(&mut c, b"after", b"AFTER");
}

#[test]
fn a_message_longer_than_one_recv_is_answered_in_pieces() {
    // 1,500 bytes in one write, with a space at the 1,024th: the server
    // reads 1024 bytes and answers them, then the other 476. Each piece is
    // stripped, so the space is lost.
    let s = article_server();
    let mut c = connect(&s);
    let message = [&[b'x'; 1023][..], b" ", &[b'y'; 476]].concat();
    c.write_all(&message).unwrap();
    let mut first = [0; 1023];
    c.read_exact(&mut first).unwrap();
    assert_eq!(first, [b'X'; 1023]);
    // The client's side of the article's protocol takes what is left of
    // that answer for the answer to its next message. ("Z" may or may not
    // have come too by the time it reads.)
    let answer = article::round_trip(&mut c, "z").unwrap().unwrap();
    assert!(
        answer == [b'Y'; 476] || answer == [&[b'Y'; 476][..], b"Z"].concat(),
        "{}",
        answer.escape_ascii()
    );
}

#[test]
fn sigterm_ends_an_open_article_connection_and_the_server_exits() {
    let s = article_server();
    let mut c = connect(&s);
    exchange_bytes(&mut c, b"hi", b"HI");
    s.terminate().unwrap();
    // The server stops the connection reading; the handler sees the end of
    // the stream and returns, and the server exits.
    assert!(read_to_end(&mut c).is_empty());
    let status = s.wait_for_exit(BOUND).expect("the server exits");
    assert!(status.success(), "{status}");
}

#[test]
fn verbose_prints_each_message_in_article_mode_too() {
    let s = server(&["--protocol", "article", "--verbose"]);
    let mut c = connect(&s);
    exchange_bytes(&mut c, b"  hi there ", b"HI THERE");
    let line = s.wait_for_line("wrote:", BOUND).unwrap();
    assert!(line.ends_with(" wrote: hi there"), "{line}");
}

#[test]
fn the_help_names_lines_as_the_default_protocol() {
    for program in [
        env!("CARGO_BIN_EXE_upper-server"),
        env!("CARGO_BIN_EXE_upper-client"),
    ] {
        let out = Command::new(program).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("--protocol <PROTOCOL>"), "{help}");
        assert!(help.contains("[default: lines]"), "{help}");
        assert!(help.contains("- article: The article's"), "{help}");
    }
}
