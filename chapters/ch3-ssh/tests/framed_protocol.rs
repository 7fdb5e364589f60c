//! The framed protocol, end to end.

use crate::common;

use std::io::Write;
use std::time::{Duration, Instant};

use ch3_ssh::frame::{Frame, Kind, MAX_PAYLOAD, read_frame, write_frame};
use common::*;

fn framed(port: &str, stdin: &[u8]) -> std::process::Output {
    client(port, &["--protocol", "framed"], stdin)
}

/// Sends a command on a raw connection and collects frames up to `Exit`.
fn raw_command(stream: &mut std::net::TcpStream, command: &str) -> Vec<Frame> {
    write_frame(stream, Kind::Command, command.as_bytes()).unwrap();
    let mut frames = Vec::new();
    loop {
        let frame = read_frame(stream).unwrap().expect("a frame");
        let last = frame.kind == Kind::Exit;
        frames.push(frame);
        if last {
            return frames;
        }
    }
}

#[test]
fn stdout_stderr_and_exit_status_come_back() {
    let server = server(&[]);
    let out = framed(&server.port().unwrap(), b"echo out; echo err >&2; exit 3\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "输入指令:out\nexit status: 3\n输入指令:");
    assert_eq!(text(&out.stderr), "err\n");
}

#[test]
fn an_empty_result_needs_no_stand_in() {
    let server = server(&[]);
    let out = framed(&server.port().unwrap(), b"true\nprintf no-newline\n");
    assert_eq!(
        text(&out.stdout),
        "输入指令:exit status: 0\n输入指令:no-newline\nexit status: 0\n输入指令:"
    );
}

#[test]
fn output_is_streamed_while_the_command_runs() {
    let server = server(&[]);
    let (_dir, gate) = fifo();
    let mut stream = connect(&server);
    write_frame(
        &mut stream,
        Kind::Command,
        format!("echo first; cat {gate}; echo last").as_bytes(),
    )
    .unwrap();
    // "first" arrives while the command is still waiting at the gate.
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        Some(Frame::new(Kind::Stdout, "first\n"))
    );
    open_gate(&gate);
    let mut rest = Vec::new();
    loop {
        let frame = read_frame(&mut stream).unwrap().unwrap();
        if frame.kind == Kind::Exit {
            assert_eq!(frame.exit_status().unwrap(), 0);
            break;
        }
        rest.extend(frame.payload);
    }
    assert_eq!(rest, b"go\nlast\n");
}

#[test]
fn binary_output_arrives_byte_for_byte() {
    let server = server(&[]);
    let mut stream = connect(&server);
    let frames = raw_command(&mut stream, "printf 'a\\377\\000\\376b'");
    assert_eq!(
        frames[0],
        Frame::new(Kind::Stdout, b"a\xff\x00\xfeb".to_vec())
    );
    let out = framed(&server.port().unwrap(), b"printf '\\377\\376'\n");
    assert!(out.stdout.windows(2).any(|w| w == b"\xff\xfe"));
}

#[test]
fn a_command_that_never_ends_is_killed_and_the_client_told() {
    let server = server(&["--time-limit", "0.5"]);
    let started = Instant::now();
    let out = framed(&server.port().unwrap(), b"sleep 60\necho next\n");
    assert_eq!(
        text(&out.stderr),
        "[server] command killed: still running after the time limit of 500ms\n"
    );
    assert_eq!(
        text(&out.stdout),
        "输入指令:exit status: 137\n输入指令:next\nexit status: 0\n输入指令:"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn output_over_the_cap_is_cut_and_the_client_told() {
    let server = server(&["--max-output", "100000"]);
    let mut stream = connect(&server);
    let frames = raw_command(&mut stream, "yes");
    let stdout: usize = frames
        .iter()
        .filter(|f| f.kind == Kind::Stdout)
        .map(|f| f.payload.len())
        .sum();
    assert_eq!(stdout, 100_000);
    let n = frames.len();
    assert_eq!(frames[n - 2].kind, Kind::Notice);
    assert!(String::from_utf8_lossy(&frames[n - 2].payload).contains("cap of 100000 bytes"));
    assert_eq!(frames[n - 1], Frame::exit(137));
}

#[test]
fn an_empty_command_frame_is_answered_not_run() {
    let server = server(&[]);
    let mut stream = connect(&server);
    let frames = raw_command(&mut stream, "");
    assert_eq!(
        frames,
        vec![
            Frame::new(Kind::Notice, "empty command: nothing to run"),
            Frame::exit(127)
        ]
    );
    // The client itself skips empty lines, like the article's.
    let out = framed(&server.port().unwrap(), b"\n\necho x\n");
    assert_eq!(
        text(&out.stdout),
        "输入指令:输入指令:输入指令:x\nexit status: 0\n输入指令:"
    );
}

#[test]
fn a_frame_over_the_limit_is_refused_and_the_server_goes_on() {
    let server = server(&[]);
    let mut stream = connect(&server);
    stream.write_all(&[0x00, 0x10, 0x00, 0x01, b'C']).unwrap(); // 1 MiB + 1
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        Some(Frame::new(
            Kind::Notice,
            format!(
                "a frame of {} bytes is over the limit of {MAX_PAYLOAD} bytes",
                MAX_PAYLOAD + 1
            )
        ))
    );
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        None,
        "then the connection closes"
    );
    let mut again = connect(&server);
    assert_eq!(
        raw_command(&mut again, "echo ok")[0],
        Frame::new(Kind::Stdout, "ok\n")
    );
}

#[test]
fn an_unknown_frame_kind_is_refused() {
    let server = server(&[]);
    let mut stream = connect(&server);
    stream.write_all(b"\0\0\0\0?").unwrap();
    assert_eq!(
        read_frame(&mut stream).unwrap(),
        Some(Frame::new(Kind::Notice, "unknown frame kind 0x3f"))
    );
}

#[test]
fn a_client_that_leaves_mid_command_does_not_stop_the_server() {
    let server = server(&[]);
    let (_dir, gate) = fifo();
    let mut stream = connect(&server);
    write_frame(&mut stream, Kind::Command, format!("cat {gate}").as_bytes()).unwrap();
    server.wait_for_line("command: cat", TIMEOUT).unwrap();
    drop(stream);
    let line = server.wait_for_line("disconnected", TIMEOUT).unwrap();
    assert!(
        line.contains("the client left mid-command; command killed"),
        "{line}"
    );
    let out = framed(&server.port().unwrap(), b"echo still serving\n");
    assert!(text(&out.stdout).contains("still serving"));
}

#[test]
fn with_a_secret_only_a_client_that_knows_it_is_served() {
    let server = server(&["--secret", "s3cret"]);
    let port = server.port().unwrap();
    let out = client(
        &port,
        &["--protocol", "framed", "--secret", "s3cret"],
        b"echo in\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("in\nexit status: 0"));

    let out = client(
        &port,
        &["--protocol", "framed", "--secret", "guess"],
        b"echo in\n",
    );
    assert_eq!(
        text(&out.stderr),
        "error: the server refused: wrong secret\n"
    );

    let out = framed(&port, b"echo in\n");
    assert_eq!(
        text(&out.stderr),
        "[server] this server needs a secret (--secret)\nerror: the server closed the connection before the command ended\n"
    );
    assert!(!out.status.success());

    let out = client(&port, &[], b"echo in\n");
    assert_eq!(
        text(&out.stderr),
        "error: the server closed the connection instead of answering\n"
    );
}

#[test]
fn without_a_shell_metacharacters_are_just_text() {
    let server = server(&["--no-shell"]);
    let out = framed(&server.port().unwrap(), b"echo hi; id $HOME\n");
    assert_eq!(
        text(&out.stdout),
        "输入指令:hi; id $HOME\nexit status: 0\n输入指令:"
    );
    let out = framed(&server.port().unwrap(), b"no-such-program-xyz\n");
    assert!(text(&out.stdout).contains("exit status: 127"));
    assert!(text(&out.stderr).starts_with("cannot start: "));
}

#[test]
fn a_server_that_closes_mid_frame_is_a_clear_error() {
    let (port, fake) = fake_server(|mut stream| {
        read_frame(&mut stream).unwrap();
        stream.write_all(b"\0\0\0\x10Opartial").unwrap();
    });
    let out = framed(&port, b"ls\n");
    fake.join().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "error: cannot receive the answer: the connection closed in the middle of a frame\n"
    );
}

#[test]
fn a_server_that_announces_a_huge_frame_is_refused() {
    let (port, fake) = fake_server(|mut stream| {
        read_frame(&mut stream).unwrap();
        stream.write_all(&[0xff, 0xff, 0xff, 0xff, b'O']).unwrap();
        let _ = read_to_close(&mut stream);
    });
    let out = framed(&port, b"ls\n");
    fake.join().unwrap();
    assert_eq!(
        text(&out.stderr),
        "error: cannot receive the answer: a frame of 4294967295 bytes is over the limit of 1048576 bytes\n"
    );
}
