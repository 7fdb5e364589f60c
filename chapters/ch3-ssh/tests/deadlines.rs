//! How long a client may hold its place among `--max-clients`: the login
//! deadline, the idle deadline, and the wait after a wrong secret.

use crate::common;

use std::io::{Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use book_support::observe::silent_for;
use ch3_ssh::frame::{Frame, Kind, read_frame, write_frame};
use ch3_ssh::framed;
use common::*;

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn silent_connections_cannot_lock_out_a_client_that_knows_the_secret() {
    let server = server(&[
        "--secret",
        "s3cret",
        "--max-clients",
        "2",
        "--login-timeout",
        "1",
    ]);
    // Two connections that never send a byte take both places.
    let mut silent = [connect(&server), connect(&server)];
    // Each is dropped at its deadline, and its place freed (before the log
    // line that says so is printed).
    for _ in &silent {
        server
            .wait_for_line(
                "disconnected: login timeout: no secret within 1s of connecting",
                TIMEOUT,
            )
            .unwrap();
    }
    for stream in &mut silent {
        assert!(read_to_close(stream).is_empty(), "closed, nothing said");
    }
    let out = client(
        &server.port().unwrap(),
        &["--protocol", "framed", "--secret", "s3cret"],
        b"echo in\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("in\nexit status: 0"));
}

#[test]
fn a_client_that_trickles_its_secret_is_dropped_at_the_login_deadline() {
    let server = server(&["--secret", "s3cret", "--login-timeout", "1"]);
    let started = Instant::now(); // before the server's clock starts
    let stream = connect(&server);
    // An `A` frame of 105 bytes, one byte every 100 ms: every read gets a
    // byte long before a read timeout of one second would fire, but the
    // whole frame would take ten seconds.
    let mut frame = Vec::new();
    write_frame(&mut frame, Kind::Auth, &[b'x'; 100]).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let trickle = thread::spawn(move || {
        for byte in frame {
            if writer.write_all(&[byte]).is_err() {
                return; // the server has closed the connection
            }
            // The pace of the trickle: the next byte after 100 ms, unless
            // the server closes the connection first.
            if !silent_for(&writer, Duration::from_millis(100)) {
                return;
            }
        }
    });
    let line = server.wait_for_line("disconnected", TIMEOUT).unwrap();
    assert!(
        line.ends_with("disconnected: login timeout: no secret within 1s of connecting"),
        "{line}"
    );
    assert!(started.elapsed() >= SECOND);
    trickle.join().unwrap();
}

#[test]
fn a_client_idle_between_commands_is_told_and_dropped() {
    let server = server(&["--idle-timeout", "1"]);
    let mut stream = connect(&server);
    let sent = Instant::now(); // the server's clock starts after the answer
    write_frame(&mut stream, Kind::Command, b"echo hi").unwrap();
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        Some(Frame::new(Kind::Stdout, "hi\n"))
    );
    assert_eq!(read_frame(&mut stream).unwrap(), Some(Frame::exit(0)));
    // Then the client sends nothing.
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        Some(Frame::new(
            Kind::Notice,
            "idle timeout: no command within 1s"
        ))
    );
    assert!(sent.elapsed() >= SECOND);
    assert_eq!(read_frame(&mut stream).unwrap(), None, "then it closes");
    server
        .wait_for_line("disconnected: idle timeout: no command within 1s", TIMEOUT)
        .unwrap();
}

#[test]
fn an_idle_article_client_is_dropped_too() {
    let server = server(&["--idle-timeout", "1"]);
    let mut stream = connect(&server);
    let sent = Instant::now();
    stream.write_all(b"echo hi").unwrap();
    assert_eq!(recv(&mut stream), b"3");
    stream.write_all(b"OK").unwrap();
    let mut result = [0u8; 3];
    stream.read_exact(&mut result).unwrap();
    assert_eq!(&result, b"hi\n");
    // The article's protocol has no place for a notice: the connection
    // just closes.
    assert!(read_to_close(&mut stream).is_empty());
    assert!(sent.elapsed() >= SECOND);
    server
        .wait_for_line("disconnected: idle timeout: no command within 1s", TIMEOUT)
        .unwrap();
}

#[test]
fn without_a_secret_a_silent_connection_has_the_idle_timeout() {
    // No secret, so nothing to log in with: the first command is a command
    // like any other, and a person at the client may take a while to type it.
    let server = server(&["--idle-timeout", "1", "--login-timeout", "600"]);
    let started = Instant::now();
    let mut stream = connect(&server);
    assert!(read_to_close(&mut stream).is_empty());
    assert!(started.elapsed() >= SECOND);
    server
        .wait_for_line("disconnected: idle timeout: no command within 1s", TIMEOUT)
        .unwrap();
}

#[test]
fn a_wrong_secret_is_answered_only_after_the_delay() {
    let server = server(&["--secret", "s3cret"]); // the default delay, 1 s
    let mut stream = connect(&server);
    let sent = Instant::now();
    write_frame(&mut stream, Kind::Auth, b"guess").unwrap();
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        Some(Frame::new(Kind::Notice, "wrong secret"))
    );
    assert!(
        sent.elapsed() >= SECOND,
        "answered after {:?}",
        sent.elapsed()
    );
    assert_eq!(read_frame(&mut stream).unwrap(), None);
    server
        .wait_for_line("wrong secret: answering in 1s", TIMEOUT)
        .unwrap();
}

#[test]
fn the_right_secret_does_not_wait() {
    // A delay far longer than any wait in these tests: had the right secret
    // to sit it out, the read below would time out.
    let server = server(&["--secret", "s3cret", "--wrong-secret-delay", "600"]);
    let mut stream = connect(&server);
    framed::authenticate(&mut stream, "s3cret").unwrap();
    let reply = framed::request(&mut stream, "echo in").unwrap();
    assert_eq!(reply.stdout, b"in\n");
}

#[test]
fn a_guess_keeps_its_place_until_it_is_answered() {
    let server = server(&[
        "--secret",
        "s3cret",
        "--max-clients",
        "1",
        "--wrong-secret-delay",
        "600",
    ]);
    let mut guesser = connect(&server);
    write_frame(&mut guesser, Kind::Auth, b"guess").unwrap();
    server
        .wait_for_line("wrong secret: answering in 600s", TIMEOUT)
        .unwrap();
    // Leaving early frees nothing: a guesser with many connections still
    // has at most --max-clients guesses waiting at once.
    drop(guesser);
    let mut next = connect(&server);
    server
        .wait_for_line("turned away: too many clients at once", TIMEOUT)
        .unwrap();
    assert!(read_to_close(&mut next).is_empty());
}

/// A client that sends a command and then reads nothing: the output fills
/// the socket's buffers, and a write would wait for ever, holding the place
/// and the command with it. The output must be taken within the time limit,
/// as the command must end within it.
#[test]
fn a_client_that_stops_reading_is_dropped_and_its_command_killed() {
    let server = server(&[
        "--time-limit",
        "1",
        "--max-output",
        "1000000000000",
        "--max-clients",
        "1",
    ]);
    let mut stream = connect(&server);
    let sent = Instant::now();
    write_frame(&mut stream, Kind::Command, b"yes").unwrap();
    server
        .wait_for_line("did not take its output within 1s; command killed", TIMEOUT)
        .unwrap();
    assert!(sent.elapsed() >= SECOND);
    // Its place is free again.
    let out = client(
        &server.port().unwrap(),
        &["--protocol", "framed"],
        b"echo next\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("next\n"),
        "{}",
        text(&out.stdout)
    );
    drop(stream);
}

/// The article's protocol holds the result in memory until the client has
/// taken it: after the acknowledgement, not for ever either.
#[test]
fn an_article_client_that_acknowledges_and_reads_nothing_is_dropped() {
    // More than the socket buffers of both ends hold, so the server's send
    // must wait for the client.
    let server = server(&[
        "--ack-timeout",
        "1",
        "--article-max-output",
        "100000000",
        "--max-clients",
        "1",
    ]);
    let mut stream = connect(&server);
    stream.write_all(b"head -c 64000000 /dev/zero").unwrap();
    assert_eq!(recv(&mut stream), b"64000000");
    let acknowledged = Instant::now();
    stream.write_all(b"OK").unwrap();
    server
        .wait_for_line("the client did not take the result within 1s", TIMEOUT)
        .unwrap();
    assert!(acknowledged.elapsed() >= SECOND);
    let out = client(
        &server.port().unwrap(),
        &["--protocol", "framed"],
        b"echo next\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    drop(stream);
}
