//! The checkers of the chapter's exercises: black-box, over real sockets.
//!
//! Each starts the student's program, talks to it the way a client would,
//! and stops at the first answer that is not what the exercise asks for.
//! They look only at bytes on the wire, so a program in any language can be
//! judged: `cargo exercise check ch3-recv-exact --cmd "python3 up.py --port {port}"`.
//!
//! `ch3-ssh-client` judges a client: the checker plays the server on a port
//! of its own, starts the program with that port for `{port}`, feeds it
//! commands on stdin and compares what it prints with what was sent.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use book_support::check::client::{ClientRun, run_client};
use book_support::check::wire::{SETTLE, Stop, read_up_to};
use book_support::check::{
    ANSWER_TIMEOUT, Checker, Failure, Session, Wire, again_if_interrupted, show_bytes,
};
use book_support::observe::eventually;

/// The chapter's checkers, one per exercise.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch3-recv-exact",
            run: check_recv_exact,
        },
        Checker {
            name: "ch3-frame-codec",
            run: check_frame_codec,
        },
        Checker {
            name: "ch3-time-limit",
            run: check_time_limit,
        },
        Checker {
            name: "ch3-ssh-client",
            run: check_ssh_client,
        },
    ]
}

/// Bytes that are easy to tell apart at any offset.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// ch3-recv-exact: size, OK, exactly that many bytes, echo.
fn check_recv_exact(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    {
        let mut wire = Wire::new(&server);
        let what = "the server answers a size (\"12\") with \"OK\"";
        wire.send(what, b"12")?;
        wire.expect(what, b"OK")?;
        session.pass(what);

        let what = "the server echoes the 12 bytes it received";
        wire.send(what, b"hello, world")?;
        wire.expect(what, b"hello, world")?;
        session.pass(what);

        let what =
            "the server reads exactly the announced bytes, even when the next size follows at once";
        wire.send(what, b"5")?;
        wire.expect(what, b"OK")?;
        wire.send(what, b"abcde7")?; // the body, glued to the next size
        wire.expect(what, b"abcde")?;
        wire.expect(
            &format!("{what} (\"7\" is the next size: expected \"OK\")"),
            b"OK",
        )?;
        wire.send(what, b"1234567")?;
        wire.expect(what, b"1234567")?;
        session.pass(what);

        let what = "the server keeps reading until 3000000 bytes are in (one read is not enough)";
        let body = pattern(3_000_000, 7);
        wire.send(what, b"3000000")?;
        wire.expect(what, b"OK")?;
        wire.send(what, &body)?;
        wire.expect(what, &body)?;
        session.pass(what);
    }
    {
        let what = "a client that leaves in the middle of its bytes does not stop the server";
        let mut wire = Wire::new(&server);
        wire.send(what, b"100")?;
        wire.expect(what, b"OK")?;
        wire.send(what, b"only ten b")?;
        wire.hang_up();
    }
    let what = "the next client is served after one left mid-upload";
    let mut wire = Wire::new(&server);
    wire.send(what, b"3")?;
    wire.expect(what, b"OK")?;
    wire.send(what, b"end")?;
    wire.expect(what, b"end")?;
    session.pass(what);
    Ok(())
}

/// One frame of the exercise's format.
fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.push(kind);
    out.extend_from_slice(payload);
    out
}

/// ch3-frame-codec: every frame comes back; a frame over the limit is
/// refused with a `!` frame.
fn check_frame_codec(session: &mut Session) -> Result<(), Failure> {
    const MAX: usize = 1024 * 1024;
    let server = session.start(None)?;
    {
        let mut wire = Wire::new(&server);
        let what = "a frame comes back unchanged: 00 00 00 05 'C' \"hello\"";
        wire.send(what, &frame(b'C', b"hello"))?;
        wire.expect(what, &frame(b'C', b"hello"))?;
        session.pass(what);

        let what = "a frame with an empty payload comes back: 00 00 00 00 'Z'";
        wire.send(what, &frame(b'Z', b""))?;
        wire.expect(what, &frame(b'Z', b""))?;
        session.pass(what);

        let what = "two frames sent in one write come back as two frames";
        let mut two = frame(b'A', b"first");
        two.extend(frame(b'B', b"second frame"));
        wire.send(what, &two)?;
        wire.expect(what, &two)?;
        session.pass(what);

        let what = "a frame sent in pieces (header split, payload split) comes back whole";
        let whole = frame(b'P', b"pieces of a frame");
        for piece in [&whole[..2], &whole[2..7], &whole[7..]] {
            wire.send(what, piece)?;
        }
        wire.expect(what, &whole)?;
        session.pass(what);

        let what = "a frame of exactly 1 MiB (the limit) comes back";
        let big = frame(b'O', &pattern(MAX, 3));
        wire.send(what, &big)?;
        wire.expect(what, &big)?;
        session.pass(what);
    }
    for (length, label) in [(MAX as u32 + 1, "1 MiB + 1"), (u32::MAX, "4 GiB - 1")] {
        let what = format!(
            "a frame announcing {label} bytes is refused with a '!' frame, then the connection closes"
        );
        let mut wire = Wire::new(&server);
        let mut header = length.to_be_bytes().to_vec();
        header.push(b'O');
        wire.send(&what, &header)?;
        let head = wire.receive(5);
        if head.bytes.len() < 5 || head.bytes[4] != b'!' {
            let got = wire.describe_count(&head, 5);
            return Err(wire.fail(&what, "a frame of kind '!'", got));
        }
        let h = &head.bytes;
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len > MAX {
            return Err(wire.fail(
                &what,
                "a '!' frame of a sane length",
                format!("length {len}"),
            ));
        }
        let message = wire.receive(len);
        if message.bytes.len() < len {
            let got = wire.describe_count(&message, len);
            return Err(wire.fail(&what, format!("{len} bytes of explanation"), got));
        }
        wire.expect_close(&what)?;
        session.pass(what);
    }
    let what = "the server still serves new clients after refusing a frame";
    let mut wire = Wire::new(&server);
    wire.send(what, &frame(b'C', b"still here?"))?;
    wire.expect(what, &frame(b'C', b"still here?"))?;
    session.pass(what);
    Ok(())
}

// ---------------------------------------------------------------------
// ch3-time-limit and ch3-ssh-client: the course's protocol (command, size,
// "OK", result), from the server's side and from the client's.
// ---------------------------------------------------------------------

/// The line a command killed at its time limit ends with.
const KILLED: &[u8] = b"killed: time limit\n";

/// Sends a command to the server under test and reads the whole answer in
/// the course's protocol: the size (one read: the server sends nothing more
/// until our "OK"), "OK", then exactly that many bytes.
fn ask(wire: &mut Wire<'_>, step: &str, command: &str) -> Result<Vec<u8>, Failure> {
    wire.send(step, command.as_bytes())?;
    let Some(stream) = wire.stream() else {
        let got = wire.ended_why();
        return Err(wire.fail(step, "a size in decimal digits", format!("nothing: {got}")));
    };
    let mut header = [0u8; 1024];
    let read = again_if_interrupted(|| stream.read(&mut header));
    let header = match read {
        Ok(n) if n > 0 => header[..n].to_vec(),
        other => {
            let got = match other.map_err(|e| Stop::from_error(&e)) {
                Err(Stop::Silent) => format!("nothing within {ANSWER_TIMEOUT:?}"),
                Err(Stop::Error(e)) => e,
                _ => format!("nothing: {}", wire.ended_why()),
            };
            return Err(wire.fail(step, "a size in decimal digits", got));
        }
    };
    let Some(size) = std::str::from_utf8(&header)
        .ok()
        .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<usize>().ok())
    else {
        return Err(wire.fail(step, "a size in decimal digits", show_bytes(&header)));
    };
    wire.send(step, b"OK")?;
    let got = wire.receive(size);
    if got.stop.is_some() {
        let described = wire.describe_count(&got, size);
        return Err(wire.fail(step, format!("the {size} bytes announced"), described));
    }
    Ok(got.bytes)
}

/// Expects `answer` to be `expected`.
fn same(wire: &mut Wire<'_>, step: &str, answer: &[u8], expected: &[u8]) -> Result<(), Failure> {
    if answer == expected {
        return Ok(());
    }
    Err(wire.fail(step, show_bytes(expected), show_bytes(answer)))
}

/// Is process `pid` gone (or dead and waiting to be reaped)?
fn process_gone(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
    }
}

/// ch3-time-limit: quick commands answer as before; a slow one is killed
/// after a second, with every process it started.
fn check_time_limit(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut wire = Wire::new(&server);

    let what = "a quick command's result comes back: \"echo hello\"";
    let answer = ask(&mut wire, what, "echo hello")?;
    same(&mut wire, what, &answer, b"hello\n")?;
    session.pass(what);

    let what = "a command still running after 1 s is killed; its output so far comes back, then \"killed: time limit\"";
    let started = Instant::now();
    let answer = ask(&mut wire, what, "echo started; sleep 20")?;
    same(
        &mut wire,
        what,
        &answer,
        &[&b"started\n"[..], KILLED].concat(),
    )?;
    if started.elapsed() < Duration::from_millis(950) {
        return Err(wire.fail(
            what,
            "the command given its whole second",
            format!("an answer after {:?}", started.elapsed()),
        ));
    }
    session.pass(what);

    let what = "a command's background process is killed with it (the whole process group): \"sleep 20 & echo $!; wait\"";
    let answer = ask(&mut wire, what, "sleep 20 & echo $!; wait")?;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let pid = text
        .strip_suffix(std::str::from_utf8(KILLED).unwrap_or_default())
        .and_then(|pid| pid.strip_suffix('\n'))
        .and_then(|pid| pid.parse::<u32>().ok());
    let Some(pid) = pid else {
        return Err(wire.fail(
            what,
            "the background process's pid, then \"killed: time limit\"",
            show_bytes(&answer),
        ));
    };
    if !eventually(SETTLE, || process_gone(pid)) {
        return Err(wire
            .fail(
                what,
                format!("the background `sleep 20` (pid {pid}) killed"),
                "it still runs",
            )
            .with_note("killing the shell alone leaves what it started: kill the process group"));
    }
    session.pass(what);

    let what = "the server goes on serving commands on the same connection";
    let answer = ask(&mut wire, what, "echo still here")?;
    same(&mut wire, what, &answer, b"still here\n")?;
    session.pass(what);
    Ok(())
}

/// Bytes of `stream`'s peer that it has not read yet: the receive queue of
/// the peer's socket in `/proc/net/tcp` (or `tcp6`). `None` when that
/// socket is gone or no longer connected.
fn unread_by_peer(stream: &TcpStream) -> Option<u64> {
    let ours = stream.local_addr().ok()?.port();
    let theirs = stream.peer_addr().ok()?.port();
    let port = |addr: &str| {
        addr.rsplit(':')
            .next()
            .and_then(|p| u16::from_str_radix(p, 16).ok())
    };
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local address, remote address, state (01: established), queues
            if fields.len() > 4
                && port(fields[1]) == Some(theirs)
                && port(fields[2]) == Some(ours)
                && fields[3] == "01"
            {
                let rx = fields[4].split(':').nth(1)?;
                return u64::from_str_radix(rx, 16).ok();
            }
        }
    }
    None
}

/// How the checker's server sends a result.
#[derive(Clone, Copy)]
enum Sending {
    /// In one write.
    Whole,
    /// 1000 bytes, then the rest only once the client has read those: a
    /// client that reads once has at most 1000.
    AfterFirstRead,
    /// 1000 bytes, then the connection closes.
    CutShort,
}

/// The server's side of one command: expects `command`, announces
/// `result`'s size, expects "OK", sends `result`.
fn serve_one(
    stream: &mut TcpStream,
    step: &str,
    command: &str,
    result: &[u8],
    sending: Sending,
) -> Result<(), Failure> {
    let got = read_up_to(stream, command.len());
    if got.bytes != command.as_bytes() {
        let mut described = show_bytes(&got.bytes);
        match got.stop {
            Some(Stop::Ended) => described.push_str(" (then the connection ended)"),
            Some(Stop::Silent) => {
                described.push_str(&format!(" (then nothing within {ANSWER_TIMEOUT:?})"))
            }
            _ => {}
        }
        return Err(Failure::new(
            step,
            format!("the command {}", show_bytes(command.as_bytes())),
            described,
        ));
    }
    let _ = stream.write_all(result.len().to_string().as_bytes());
    let ack = read_up_to(stream, 2);
    if ack.bytes != b"OK" {
        let note = if ack.bytes.first() == Some(&b'\n') {
            "the command is sent without its newline"
        } else {
            "after the size comes, the client answers \"OK\" and only then reads the result"
        };
        return Err(Failure::new(
            step,
            "b'OK' after the size",
            if ack.bytes.is_empty() {
                "nothing".to_string()
            } else {
                show_bytes(&ack.bytes)
            },
        )
        .with_note(note));
    }
    let first = result.len().min(1000);
    match sending {
        Sending::Whole => {
            let _ = stream.write_all(result);
        }
        Sending::AfterFirstRead => {
            let _ = stream.write_all(&result[..first]);
            if !eventually(ANSWER_TIMEOUT, || {
                unread_by_peer(stream).is_none_or(|n| n == 0)
            }) {
                return Err(Failure::new(
                    step,
                    "the client to read the first bytes of the result",
                    format!("they were still unread after {ANSWER_TIMEOUT:?}"),
                ));
            }
            let _ = stream.write_all(&result[first..]);
        }
        Sending::CutShort => {
            let _ = stream.write_all(&result[..first]);
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

/// After the last command, the client closes the connection.
fn expect_hang_up(stream: &mut TcpStream, step: &str) -> Result<(), Failure> {
    let got = read_up_to(stream, 1);
    match got.stop {
        Some(Stop::Ended) if got.bytes.is_empty() => Ok(()),
        _ if !got.bytes.is_empty() => Err(Failure::new(
            step,
            "the connection closed at the end of the input",
            format!("more bytes: {}", show_bytes(&got.bytes)),
        )),
        _ => Err(Failure::new(
            step,
            "the connection closed at the end of the input",
            format!("the connection still open after {ANSWER_TIMEOUT:?}"),
        )),
    }
}

/// `stdout` against what it should be, in words.
fn compare_output(got: &[u8], expected: &[u8]) -> Option<String> {
    if got == expected {
        return None;
    }
    let at = got.iter().zip(expected).position(|(a, b)| a != b);
    let mut text = format!("{} bytes: {}", got.len(), show_bytes(got));
    match at {
        Some(at) => text.push_str(&format!(" (byte {at} differs)")),
        None if got.len() < expected.len() => text.push_str(" (the start of it, then no more)"),
        None => text.push_str(" (all of it, then more)"),
    }
    Some(text)
}

/// The client ran, printed `expected` and exited with status 0.
fn printed(run: &ClientRun, step: &str, expected: &[u8]) -> Result<(), Failure> {
    run.served.clone()?;
    if let Some(got) = compare_output(&run.stdout, expected) {
        return Err(run.fail(
            step,
            format!(
                "{} bytes on stdout: {}",
                expected.len(),
                show_bytes(expected)
            ),
            got,
        ));
    }
    match run.status {
        Some(status) if status.success() => Ok(()),
        _ => Err(run.fail(step, "exit status 0 at the end of the input", run.ending())),
    }
}

/// A result of `len` bytes of text lines.
fn lines_of(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    let mut i = 0;
    while out.len() < len {
        out.extend_from_slice(format!("line {i:07}\n").as_bytes());
        i += 1;
    }
    out.truncate(len);
    out
}

/// ch3-ssh-client: the client of the course's protocol, judged by a server
/// the checker plays.
fn check_ssh_client(session: &mut Session) -> Result<(), Failure> {
    let what = "one command: the client sends it, answers the size with \"OK\", prints the result";
    let run = run_client(session, None, b"echo hello\n", |mut s| {
        serve_one(&mut s, what, "echo hello", b"hello\n", Sending::Whole)?;
        expect_hang_up(&mut s, what)
    })?;
    printed(&run, what, b"hello\n")?;
    session.pass(what);

    let what = "two commands on one connection, an empty line skipped; the size counts bytes, not characters";
    let wrong = "这条命令错误".as_bytes();
    let run = run_client(session, None, b"no-such-command\n\necho two\n", |mut s| {
        serve_one(&mut s, what, "no-such-command", wrong, Sending::Whole)?;
        serve_one(&mut s, what, "echo two", b"two\n", Sending::Whole)?;
        expect_hang_up(&mut s, what)
    })?;
    printed(&run, what, &[wrong, b"two\n"].concat())?;
    session.pass(what);

    let what = "a result of 2000000 bytes is printed whole (one read is not enough)";
    let big = lines_of(2_000_000);
    let run = run_client(session, None, b"seq 1 200000\n", |mut s| {
        serve_one(&mut s, what, "seq 1 200000", &big, Sending::AfterFirstRead)?;
        expect_hang_up(&mut s, what)
    })?;
    printed(&run, what, &big)?;
    session.pass(what);

    let what = "a server that closes in the middle of a result: the client says so and exits with a non-zero status";
    let run = run_client(session, None, b"cat big\n", |mut s| {
        serve_one(
            &mut s,
            what,
            "cat big",
            &lines_of(100_000),
            Sending::CutShort,
        )
    })?;
    run.served.clone()?;
    match run.status {
        Some(status) if !status.success() => {}
        Some(_) => {
            return Err(run.fail(
                what,
                "a non-zero exit status",
                "exit status 0, with 1000 of 100000 bytes",
            ));
        }
        None => {
            return Err(run.fail(what, "a non-zero exit status", run.ending())
                .with_note("a read that returns 0 bytes means the server has gone: looping on it never ends"));
        }
    }
    session.pass(what);
    Ok(())
}
