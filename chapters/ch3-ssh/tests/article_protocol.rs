//! The article's protocol, end to end: real server, real client, real sockets.

use crate::common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use book_support::check::again_if_interrupted;
use common::*;

#[test]
fn the_client_shows_prompt_announced_size_received_size_and_result() {
    let server = server(&[]);
    let out = client(&server.port().unwrap(), &[], b"echo hello\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "输入指令:命令结果大小: 6\n命令结果实际大小: 6\nhello\n\n输入指令:"
    );
}

#[test]
fn the_wire_carries_decimal_size_then_waits_for_the_ack_then_the_result() {
    let server = server(&[]);
    let mut stream = connect(&server);
    stream.write_all(b"echo hi").unwrap();
    assert_eq!(recv(&mut stream), b"3");
    stream.write_all(b"OK").unwrap();
    let mut result = [0u8; 3];
    stream.read_exact(&mut result).unwrap();
    assert_eq!(&result, b"hi\n");
}

#[test]
fn an_empty_result_is_replaced_by_this_command_is_wrong() {
    let server = server(&[]);
    let out = client(&server.port().unwrap(), &[], b"no-such-command-xyz\ntrue\n");
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout
            .matches("命令结果大小: 18\n命令结果实际大小: 18\n这条命令错误\n")
            .count(),
        2,
        "{stdout}"
    );
}

#[test]
fn empty_lines_are_skipped_by_the_client_and_blank_commands_answered() {
    let server = server(&[]);
    let out = client(&server.port().unwrap(), &[], b"\n\necho after\n   \n");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("输入指令:输入指令:输入指令:命令结果大小: 6\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("这条命令错误"),
        "a blank command runs nothing: {stdout}"
    );
}

#[test]
fn binary_output_arrives_byte_for_byte() {
    let server = server(&[]);
    let out = client(
        &server.port().unwrap(),
        &[],
        b"printf 'a\\377\\000\\376b'\n",
    );
    let expected: &[u8] = b"\xe5\x91\xbd\xe4\xbb\xa4\xe7\xbb\x93\xe6\x9e\x9c\xe5\xae\x9e\xe9\x99\x85\xe5\xa4\xa7\xe5\xb0\x8f: 5\na\xff\x00\xfeb\n";
    assert!(
        out.stdout.windows(expected.len()).any(|w| w == expected),
        "{:?}",
        out.stdout
    );
}

#[test]
fn a_large_result_arrives_whole() {
    let server = server(&[]);
    let out = client(
        &server.port().unwrap(),
        &[],
        b"head -c 3000000 /dev/zero | tr '\\0' x\n",
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("命令结果大小: 3000000\n命令结果实际大小: 3000000\n"),
        "{}",
        &stdout[..200]
    );
}

#[test]
fn a_command_that_never_ends_is_killed_and_the_client_told() {
    let server = server(&["--time-limit", "0.5"]);
    let started = Instant::now();
    let out = client(&server.port().unwrap(), &[], b"sleep 60\necho next\n");
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .contains("[ssh-server: command killed: still running after the time limit of 500ms]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nnext\n"),
        "the connection goes on: {stdout}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn output_over_the_cap_is_cut_and_the_client_told() {
    let server = server(&["--max-output", "1000"]);
    let out = client(&server.port().unwrap(), &[], b"yes\n");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("[ssh-server: command killed: output reached the cap of 1000 bytes"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("y\n").count(), 500);
}

#[test]
fn a_client_that_leaves_mid_command_does_not_stop_the_server() {
    let server = server(&[]);
    let (_dir, gate) = fifo();
    let mut stream = connect(&server);
    stream.write_all(format!("cat {gate}").as_bytes()).unwrap();
    server.wait_for_line("command: cat", TIMEOUT).unwrap();
    drop(stream);
    let line = server.wait_for_line("disconnected", TIMEOUT).unwrap();
    assert!(
        line.contains("the client left mid-command; command killed"),
        "{line}"
    );
    let out = client(&server.port().unwrap(), &[], b"echo still serving\n");
    assert!(text(&out.stdout).contains("still serving"));
}

#[test]
fn many_clients_are_served_at_once() {
    let server = server(&[]);
    let (_dir, gate) = fifo();
    // Client A's command waits on the gate...
    let mut a = connect(&server);
    a.write_all(format!("cat {gate}").as_bytes()).unwrap();
    server.wait_for_line("command: cat", TIMEOUT).unwrap();
    // ...while client B is served in full.
    let out = client(&server.port().unwrap(), &[], b"echo B\n");
    assert!(text(&out.stdout).contains("\nB\n"), "{}", text(&out.stdout));
    // Then A's command ends and A gets its answer.
    open_gate(&gate);
    assert_eq!(recv(&mut a), b"3");
    a.write_all(b"OK").unwrap();
    assert_eq!(recv(&mut a), b"go\n");
    // And ten clients at the same time.
    let port = server.port().unwrap();
    let threads: Vec<_> = (0..10)
        .map(|i| {
            let port = port.clone();
            std::thread::spawn(move || {
                let out = client(&port, &[], format!("echo client {i}\n").as_bytes());
                assert!(text(&out.stdout).contains(&format!("\nclient {i}\n")));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

fn client_against(header: &'static [u8]) -> std::process::Output {
    let (port, fake) = fake_server(move |mut stream| {
        recv(&mut stream);
        stream.write_all(header).unwrap();
        let _ = again_if_interrupted(|| stream.read(&mut [0u8; 16]));
    });
    let out = client(&port, &[], b"ls\n");
    fake.join().unwrap();
    out
}

#[test]
fn a_size_that_is_not_a_number_is_a_clear_error() {
    let out = client_against(b"abc");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "error: the server announced \"abc\", which is not a size (decimal digits)\n"
    );
}

#[test]
fn a_negative_size_is_a_clear_error() {
    let out = client_against(b"-5");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "error: the server announced a negative size (\"-5\")\n"
    );
}

#[test]
fn an_absurd_size_is_refused_before_anything_is_allocated() {
    let out = client_against(b"999999999999999999999999");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "error: the server announced 999999999999999999999999 bytes, over the limit of 67108864 bytes (see --max-result)\n"
    );
    let out = client_against(b"1099511627776"); // 1 TiB: fits in a u64
    assert!(text(&out.stderr).contains("1099511627776 bytes, over the limit"));
}

#[test]
fn a_server_that_closes_mid_result_is_a_clear_error() {
    let (port, fake) = fake_server(|mut stream| {
        recv(&mut stream);
        stream.write_all(b"100").unwrap();
        recv(&mut stream);
        stream.write_all(b"only ten b").unwrap();
    });
    let out = client(&port, &[], b"ls\n");
    fake.join().unwrap();
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "error: the server closed the connection after 10 of 100 bytes\n"
    );
}

#[test]
fn a_server_that_closes_instead_of_answering_is_a_clear_error() {
    let (port, fake) = fake_server(|mut stream| {
        recv(&mut stream);
    });
    let out = client(&port, &[], b"ls\n");
    fake.join().unwrap();
    assert_eq!(
        text(&out.stderr),
        "error: the server closed the connection instead of answering\n"
    );
}

#[test]
fn no_server_is_a_clear_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    let out = client(&port, &[], b"ls\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).starts_with(&format!("error: cannot connect to 127.0.0.1:{port}")));
}

#[test]
fn a_non_loopback_address_needs_an_explicit_flag() {
    let out = run_with_stdin(
        {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_ssh-server"));
            c.args(["--host", "0.0.0.0", "--port", "0"]);
            c
        },
        b"",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr)
            .starts_with("error: refusing to listen on 0.0.0.0: this server runs any command")
    );
    assert!(out.stdout.is_empty(), "nothing was bound");
}

#[test]
fn clients_beyond_max_clients_are_turned_away() {
    let server = server(&["--max-clients", "1"]);
    let (_dir, gate) = fifo();
    let mut a = connect(&server);
    a.write_all(format!("cat {gate}").as_bytes()).unwrap();
    server.wait_for_line("command: cat", TIMEOUT).unwrap();
    let out = client(&server.port().unwrap(), &[], b"echo B\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).starts_with("error: "),
        "{}",
        text(&out.stderr)
    );
    server
        .wait_for_line("turned away: too many clients at once", TIMEOUT)
        .unwrap();
    open_gate(&gate);
    assert_eq!(recv(&mut a), b"3");
}

#[test]
fn a_command_of_1024_bytes_or_more_is_refused_not_cut() {
    let server = server(&[]);
    let mut stream = connect(&server);
    let command = format!("echo {}", "A".repeat(1495)); // 1500 bytes
    stream.write_all(command.as_bytes()).unwrap();
    // The server's one recv(1024) came back full: the command may go on,
    // so it is not run. The refusal is the result. (The other 476 bytes
    // served as the "OK", so the result follows the size at once.)
    let expected = ch3_ssh::article::TOO_LONG;
    let mut answer = vec![0u8; 2 + expected.len()];
    stream.read_exact(&mut answer).unwrap();
    assert_eq!(&answer[..2], expected.len().to_string().as_bytes());
    assert_eq!(&answer[2..], expected.as_bytes());
    assert!(read_to_close(&mut stream).is_empty());
}

/// A command line longer than one `recv(1024)`, whose bytes from 1024 on
/// are a command of their own: the server reads the first 1024, and the
/// rest is the next read. 粘包 with a security cost: the tail would run.
fn split_command() -> String {
    let mut head = String::from("echo ");
    head.push_str(&"a".repeat(1024 - head.len() - 1));
    head.push(' ');
    assert_eq!(head.len(), 1024);
    let tail = format!("touch pwned; echo {}", "b".repeat(2070 - 1024 - 18));
    head + &tail
}

/// `ssh-server` in a folder of its own, where a `touch` would land.
fn server_in(dir: &std::path::Path) -> book_support::ServerProcess {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ssh-server"));
    command.args(["--port", "0"]).current_dir(dir);
    book_support::ServerProcess::spawn(command).expect("ssh-server starts")
}

#[test]
fn the_server_refuses_a_command_that_fills_its_read_and_runs_no_tail() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_in(dir.path());
    let mut stream = connect(&server);
    stream.write_all(split_command().as_bytes()).unwrap();
    // The refusal comes as a result, the only answer the protocol has;
    // the rest of the command serves as the "OK". Then the server closes.
    let refusal = ch3_ssh::article::TOO_LONG;
    assert_eq!(
        text(&read_to_close(&mut stream)),
        format!("{}{refusal}", refusal.len())
    );
    assert!(refusal.contains("command of 1024 bytes or more"));
    assert!(
        !dir.path().join("pwned").exists(),
        "the tail ran as a command"
    );
    server
        .wait_for_line("command of 1024 bytes or more: refused, closing", TIMEOUT)
        .unwrap();
}

#[test]
fn the_client_refuses_a_line_over_the_limit_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_in(dir.path());
    let port = server.port().unwrap();
    let line = format!("{}\necho after\n", split_command());
    let out = client(&port, &["--protocol", "article"], line.as_bytes());
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(
            "error: the command is 2070 bytes; the article's protocol carries at most 1023"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.path().join("pwned").exists(),
        "the tail ran as a command"
    );
}

/// A client that sends a command and never acknowledges the size would
/// hold the whole result in the server's memory for as long as it likes.
/// The server waits `--ack-timeout` seconds, then drops it.
#[test]
fn a_client_that_never_acknowledges_is_dropped_after_the_deadline() {
    let server = server(&["--ack-timeout", "1"]);
    let mut stream = connect(&server);
    stream.write_all(b"echo hi").unwrap();
    assert_eq!(recv(&mut stream), b"3");
    let started = Instant::now();
    // No "OK": the server gives up and closes, well before our own bound.
    assert!(read_to_close(&mut stream).is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "still waiting after {:?}",
        started.elapsed()
    );
    server
        .wait_for_line("no acknowledgement within 1s", TIMEOUT)
        .unwrap();
    // And the next client is served.
    let out = client(&server.port().unwrap(), &[], b"echo next\n");
    assert!(text(&out.stdout).contains("next"), "{}", text(&out.stdout));
}

/// The article's protocol holds a whole result in memory before it sends
/// the size, so its cap is lower than the framed protocol's, which streams.
#[test]
fn the_article_protocol_caps_a_result_it_must_hold_in_memory() {
    let server = server(&[]);
    let mut stream = connect(&server);
    stream.write_all(b"head -c 5000000 /dev/zero").unwrap();
    let size: usize = text(&recv(&mut stream)).parse().unwrap();
    stream.write_all(b"OK").unwrap();
    let mut result = vec![0u8; size];
    stream.read_exact(&mut result).unwrap();
    let cap = ch3_ssh::article::MAX_RESULT_HELD as usize;
    assert!(size < cap + 200, "a result of {size} bytes");
    assert!(result[..cap].iter().all(|&b| b == 0));
    assert!(
        text(&result[cap..]).contains(&format!(
            "command killed: output reached the cap of {cap} bytes"
        )),
        "{}",
        text(&result[cap..])
    );
}

/// A command with a newline in it would forge a second line in the
/// server's log, which an operator reads to see who ran what. It is logged
/// escaped, on one line.
#[test]
fn a_command_with_a_newline_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_in(dir.path());
    let mut stream = connect(&server);
    stream
        .write_all(b"echo hi\n[127.0.0.1:1] command: rm everything")
        .unwrap();
    server
        .wait_for_line(
            r#"command: "echo hi\n[127.0.0.1:1] command: rm everything""#,
            TIMEOUT,
        )
        .unwrap();
}
