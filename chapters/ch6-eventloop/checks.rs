//! The exercises' checkers: black-box, over real sockets, for a program in
//! any language.
//!
//! - `ch6-line-buffer`: a line a byte at a time, many lines in one write,
//!   two connections' half lines kept apart, and 16 MiB of answers the
//!   client takes only later (the program's writes are then partial).
//! - `ch6-graceful-shutdown`: SIGTERM with a line in flight, an idle
//!   connection and a half line: the answer comes, every connection is
//!   closed, and the program exits with 0 within a bound.

use std::io::Write;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use book_support::check::wire::Received;
use book_support::check::{Checker, Failure, Session, Wire, show_bytes};

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

// ANCHOR: check_line_buffer
fn check_line_buffer(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut c = Wire::new(&server);

    let what = "a line sent one byte a write is answered once, whole";
    for byte in b"one byte at a time\n" {
        c.send(what, &[*byte])?;
    }
    c.expect(what, b"ONE BYTE AT A TIME")?;
    session.pass(what);

    let what = "three lines in one write (one blank, one padded) get two answers";
    c.exchange(what, b"first\n\n  second  \n", b"FIRSTSECOND")?;
    session.pass(what);

    let what = "two connections' half lines are kept apart";
    let mut d = Wire::new(&server);
    c.send(what, b"abc")?;
    d.exchange(what, b"xyz\n", b"XYZ")?;
    c.exchange(what, b"def\n", b"ABCDEF")?;
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
    let writer = c.stream().map(|s| s.try_clone());
    let Some(Ok(mut writer)) = writer else {
        return Err(c.fail(what, "a second handle on the connection", "none"));
    };
    let (done, written) = mpsc::channel();
    let sender = thread::spawn(move || {
        let _ = done.send(writer.write_all(&batch));
    });
    // Take nothing until the batch is sent, or for a second: meanwhile
    // the program's socket fills and its writes stop part way.
    let _ = written.recv_timeout(Duration::from_secs(1));
    let got = c.receive(expect.len());
    let _ = sender.join();
    if got.stop.is_none() && got.bytes == expect {
        session.pass(what);
        return Ok(());
    }
    // Show where the answer goes wrong, not its first 40 bytes.
    let at = got
        .bytes
        .iter()
        .zip(&expect)
        .position(|(a, b)| a != b)
        .unwrap_or(got.bytes.len());
    let from = at.saturating_sub(10);
    let tail = Received {
        bytes: got.bytes[from..].to_vec(),
        stop: got.stop.clone(),
    };
    let described = c.describe(&tail, &expect[from..]);
    Err(c.fail(
        what,
        format!(
            "{} bytes; from byte {from}: {}",
            expect.len(),
            show_bytes(&expect[from..])
        ),
        format!("from byte {from}: {described}"),
    ))
}
// ANCHOR_END: check_line_buffer

// ANCHOR: check_graceful_shutdown
fn check_graceful_shutdown(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut idle = Wire::new(&server);
    let what = "the program answers a line";
    idle.exchange(what, b"idle\n", b"IDLE")?;
    session.pass(what);

    let mut busy = Wire::new(&server);
    busy.exchange(what, b"busy\n", b"BUSY")?;
    let mut half = Wire::new(&server);
    half.exchange(what, b"half\n", b"HALF")?;
    half.send(what, b"never finished")?;
    busy.send(what, b"in flight\n")?;

    if let Err(e) = server.terminate() {
        return Err(Failure::new(
            "sending SIGTERM",
            "`kill -TERM` to work",
            format!("{e:#}"),
        ));
    }
    let what = "after SIGTERM, the line already sent is answered";
    busy.expect(what, b"IN FLIGHT")?;
    session.pass(what);

    let what =
        "then every connection is closed (the idle one, the busy one, the one with half a line)";
    busy.expect_close(&format!("{what}: the busy one"))?;
    idle.expect_close(&format!("{what}: the idle one"))?;
    half.expect_close(&format!("{what}: the one with half a line"))?;
    session.pass(what);

    let what = "the program exits with status 0 within 5 s of SIGTERM";
    match server.wait_for_exit(Duration::from_secs(5)) {
        Some(status) if status.success() => session.pass(what),
        Some(status) => {
            return Err(
                Failure::new(what, "exit status 0", status.to_string()).with_program(&server)
            );
        }
        None => return Err(Failure::new(what, "an exit", "still running after 5 s")),
    }
    Ok(())
}
// ANCHOR_END: check_graceful_shutdown
