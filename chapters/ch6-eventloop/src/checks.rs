//! The exercises' checkers: black-box, over real sockets, for a program in
//! any language.
//!
//! - `ch6-line-buffer`: a line a byte at a time, many lines in one write,
//!   two connections' half lines kept apart, and 16 MiB of answers the
//!   client takes only later (the program's writes are then partial).
//! - `ch6-graceful-shutdown`: SIGTERM with a line in flight, an idle
//!   connection and a half line: the answer comes, every connection is
//!   closed, and the program exits with 0 within a bound.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use book_support::ServerProcess;
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session};

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch6-line-buffer",
            run: check_line_buffer,
        },
        Checker {
            name: "ch6-graceful-shutdown",
            run: check_graceful_shutdown,
        },
    ]
}

/// Connects to the program with bounded waits.
fn connect(server: &mut ServerProcess, what: &str) -> Result<TcpStream, Failure> {
    let stream = server
        .socket_addr()
        .map_err(|e| e.to_string())
        .and_then(|addr| TcpStream::connect(addr).map_err(|e| e.to_string()))
        .and_then(|s| {
            s.set_read_timeout(Some(ANSWER_TIMEOUT))
                .map_err(|e| e.to_string())?;
            s.set_write_timeout(Some(ANSWER_TIMEOUT))
                .map_err(|e| e.to_string())?;
            s.set_nodelay(true).map_err(|e| e.to_string())?;
            Ok(s)
        });
    stream.map_err(|e| Failure::new(what, "a TCP connection", e).with_program(server))
}

/// Exactly `len` bytes, or a description of what came instead.
fn read_exactly(stream: &mut TcpStream, len: usize) -> Result<Vec<u8>, String> {
    let mut got = vec![0; len];
    let mut have = 0;
    while have < len {
        match stream.read(&mut got[have..]) {
            Ok(0) => {
                return Err(format!(
                    "the connection closed after {} byte(s): {:?}",
                    have,
                    short(&got[..have])
                ));
            }
            Ok(n) => have += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!(
                    "{} byte(s) within {ANSWER_TIMEOUT:?}, then nothing: {:?}",
                    have,
                    short(&got[..have])
                ));
            }
            Err(e) => return Err(format!("{e} after {have} byte(s)")),
        }
    }
    Ok(got)
}

/// At most 60 characters of `bytes`, for messages.
fn short(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(60).collect::<String>())
    } else {
        text.into_owned()
    }
}

/// Sends `send` (in pieces as given) and expects exactly `expect` back.
fn expect_answer(
    server: &mut ServerProcess,
    stream: &mut TcpStream,
    what: &str,
    pieces: &[&[u8]],
    expect: &str,
) -> Result<(), Failure> {
    for piece in pieces {
        if let Err(e) = stream.write_all(piece) {
            return Err(Failure::new(what, "to send the line", e.to_string()).with_program(server));
        }
    }
    match read_exactly(stream, expect.len()) {
        Ok(got) if got == expect.as_bytes() => Ok(()),
        Ok(got) => Err(
            Failure::new(what, format!("{expect:?}"), format!("{:?}", short(&got)))
                .with_program(server),
        ),
        Err(got) => Err(Failure::new(what, format!("{expect:?}"), got).with_program(server)),
    }
}

// ANCHOR: check_line_buffer
fn check_line_buffer(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let mut c = connect(&mut server, "connecting")?;

    let what = "a line sent one byte a write is answered once, whole";
    let bytes: Vec<[u8; 1]> = b"one byte at a time\n".iter().map(|&b| [b]).collect();
    let pieces: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
    expect_answer(&mut server, &mut c, what, &pieces, "ONE BYTE AT A TIME")?;
    session.pass(what);

    let what = "three lines in one write (one blank, one padded) get two answers";
    expect_answer(
        &mut server,
        &mut c,
        what,
        &[b"first\n\n  second  \n"],
        "FIRSTSECOND",
    )?;
    session.pass(what);

    let what = "two connections' half lines are kept apart";
    let mut d = connect(&mut server, "a second connection")?;
    if let Err(e) = c.write_all(b"abc") {
        return Err(Failure::new(what, "to send half a line", e.to_string()));
    }
    expect_answer(&mut server, &mut d, what, &[b"xyz\n"], "XYZ")?;
    expect_answer(&mut server, &mut c, what, &[b"def\n"], "ABCDEF")?;
    session.pass(what);

    let what = "16 MiB of answers, taken only after a pause, arrive complete and in order \
                (the program's writes are partial and it keeps the rest)";
    let lines = 16 * 1024;
    let mut batch = Vec::with_capacity(lines * 1025);
    let mut expect = Vec::with_capacity(lines * 1024);
    for i in 0..lines {
        let line = format!("{i:0>8}{}", "x".repeat(1016));
        batch.extend_from_slice(line.as_bytes());
        batch.push(b'\n');
        expect.extend_from_slice(line.to_ascii_uppercase().as_bytes());
    }
    let mut writer = c
        .try_clone()
        .map_err(|e| Failure::new(what, "a clone", e.to_string()))?;
    let (done, written) = mpsc::channel();
    let sender = thread::spawn(move || {
        let _ = done.send(writer.write_all(&batch));
    });
    // Take nothing until the batch is sent, or for a second: meanwhile
    // the program's socket fills and its writes stop part way.
    let _ = written.recv_timeout(Duration::from_secs(1));
    let got = read_exactly(&mut c, expect.len());
    let _ = sender.join();
    match got {
        Ok(got) if got == expect => session.pass(what),
        Ok(got) => {
            let at = got
                .iter()
                .zip(&expect)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let from = at.saturating_sub(10);
            return Err(Failure::new(
                what,
                format!("...{:?}... at byte {at}", short(&expect[from..])),
                format!("...{:?}...", short(&got[from..])),
            )
            .with_program(&mut server));
        }
        Err(got) => {
            return Err(Failure::new(what, format!("{} bytes", expect.len()), got)
                .with_program(&mut server));
        }
    }
    Ok(())
}
// ANCHOR_END: check_line_buffer

// ANCHOR: check_graceful_shutdown
fn check_graceful_shutdown(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let mut idle = connect(&mut server, "connecting")?;
    let what = "the program answers a line";
    expect_answer(&mut server, &mut idle, what, &[b"idle\n"], "IDLE")?;
    session.pass(what);

    let mut busy = connect(&mut server, "a second connection")?;
    expect_answer(&mut server, &mut busy, what, &[b"busy\n"], "BUSY")?;
    let mut half = connect(&mut server, "a third connection")?;
    expect_answer(&mut server, &mut half, what, &[b"half\n"], "HALF")?;
    let sent = half
        .write_all(b"never finished")
        .and_then(|()| busy.write_all(b"in flight\n"));
    if let Err(e) = sent {
        return Err(Failure::new("sending", "to send", e.to_string()).with_program(&mut server));
    }

    if let Err(e) = server.terminate() {
        return Err(Failure::new(
            "sending SIGTERM",
            "`kill -TERM` to work",
            format!("{e:#}"),
        ));
    }
    let what = "after SIGTERM, the line already sent is answered";
    match read_exactly(&mut busy, 9) {
        Ok(got) if got == b"IN FLIGHT" => session.pass(what),
        Ok(got) => {
            return Err(
                Failure::new(what, "\"IN FLIGHT\"", format!("{:?}", short(&got)))
                    .with_program(&mut server),
            );
        }
        Err(got) => return Err(Failure::new(what, "\"IN FLIGHT\"", got).with_program(&mut server)),
    }

    let what =
        "then every connection is closed (the idle one, the busy one, the one with half a line)";
    for (name, stream) in [
        ("busy", &mut busy),
        ("idle", &mut idle),
        ("half", &mut half),
    ] {
        let mut rest = Vec::new();
        match stream.read_to_end(&mut rest) {
            Ok(_) if rest.is_empty() => {}
            Ok(_) => {
                return Err(Failure::new(
                    what,
                    format!("the {name} connection to close"),
                    format!("more bytes: {:?}", short(&rest)),
                )
                .with_program(&mut server));
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            Err(e) => {
                return Err(Failure::new(
                    what,
                    format!("the {name} connection to close"),
                    e.to_string(),
                )
                .with_program(&mut server));
            }
        }
    }
    session.pass(what);

    let what = "the program exits with status 0 within 5 s of SIGTERM";
    match server.wait_for_exit(Duration::from_secs(5)) {
        Some(status) if status.success() => session.pass(what),
        Some(status) => {
            return Err(
                Failure::new(what, "exit status 0", status.to_string()).with_program(&mut server)
            );
        }
        None => return Err(Failure::new(what, "an exit", "still running after 5 s")),
    }
    Ok(())
}
// ANCHOR_END: check_graceful_shutdown
