//! The exercises' checkers: black-box, over real sockets, for a program in
//! any language.
//!
//! - `ch6-line-buffer`: a line a byte at a time, many lines in one write,
//!   two connections' half lines kept apart, and 16 MiB of answers the
//!   client takes only later (the program's writes are then partial).
//! - `ch6-idle-timeout`: a quiet client is closed one second after it was
//!   last heard from, not before, also when nothing else wakes the loop,
//!   and without a busy loop; a client that talks stays; a client that
//!   trickles half a line holds up nobody.
//! - `ch6-echo-backpressure`: every byte back in order; a client that does
//!   not read stalls before the program holds 32 MiB for it, others are
//!   served meanwhile, and it gets every byte back when it reads.
//! - `ch6-graceful-shutdown`: SIGTERM with a line in flight, an idle
//!   connection and a half line: the answer comes, every connection is
//!   closed, and the program exits with 0 within a bound.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use book_support::check::wire::{Received, why_it_ended};
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session, Wire, show_bytes};
use book_support::observe::{cpu_ticks_during, status_kib};

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch6-line-buffer",
            run: check_line_buffer,
        },
        Checker {
            name: "ch6-idle-timeout",
            run: check_idle_timeout,
        },
        Checker {
            name: "ch6-graceful-shutdown",
            run: check_graceful_shutdown,
        },
        Checker {
            name: "ch6-echo-backpressure",
            run: check_echo_backpressure,
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

/// The idle time the exercise gives the program (`--idle-ms 1000`).
const IDLE: Duration = Duration::from_millis(1000);

/// How late after its deadline a quiet connection may be closed.
const IDLE_SLACK: Duration = Duration::from_secs(3);

/// How early a close may come and still count as on time. The checker
/// reads its clock before each write and the program after each read, so a
/// right program's close cannot come early by its own clock; on a loaded
/// machine, a correct program's close was seen 0.6 ms early all the same.
/// A wrong clock (counted from an earlier byte, or never restarted) is
/// early by 100 ms or more, so a few milliseconds of grace judge no wrong
/// program right.
const CLOCK_GRACE: Duration = Duration::from_millis(5);

/// Waits until the program closes `stream`, at most `IDLE + IDLE_SLACK`
/// after `since`. `Ok(when)`, or `Err(what came instead)`.
fn closed_by_program(stream: &mut TcpStream, since: Instant) -> Result<Instant, String> {
    let deadline = since + IDLE + IDLE_SLACK;
    let mut buf = [0u8; 256];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(format!(
                "the connection still open {:?} after",
                IDLE + IDLE_SLACK
            ));
        }
        match stream.read(&mut buf) {
            Ok(0) => return Ok(Instant::now()),
            Ok(n) => return Err(format!("bytes: {}", show_bytes(&buf[..n]))),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Ok(Instant::now()), // a reset is a close too
        }
    }
}

/// Checks that a connection last heard from at `since` is closed within
/// its deadline and its slack, and not before the deadline.
fn expect_idle_close(
    wire: &mut Wire<'_>,
    what: &str,
    since: Instant,
    note: &str,
) -> Result<(), Failure> {
    let Some(stream) = wire.stream() else {
        let why = wire.ended_why();
        return Err(wire.fail(what, "the connection open until its deadline", why));
    };
    match closed_by_program(stream, since) {
        Ok(when) if when.duration_since(since) + CLOCK_GRACE >= IDLE => Ok(()),
        Ok(when) => {
            let early = when.duration_since(since);
            let why = wire.ended_why();
            Err(wire.fail(
                what,
                format!("the close no sooner than {IDLE:?} after the client's last bytes"),
                format!("the close after {early:?} ({why})"),
            ))
        }
        Err(got) => Err(wire.fail(what, "the close", got).with_note(note)),
    }
}

// ANCHOR: check_idle_timeout
fn check_idle_timeout(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let what = "the program answers a line";
    let mut first = Wire::new(&server);
    first.exchange(what, b"hello\n", b"HELLO")?;
    first.hang_up();
    session.pass(what);

    let what = "a quiet client, alone, is closed 1 s after it came, not before, by a program that sleeps meanwhile";
    let mut quiet = Wire::new(&server);
    let came = Instant::now();
    let _ = quiet.stream();
    let mut closed = Ok(());
    let ticks = cpu_ticks_during(server.pid(), || {
        closed = expect_idle_close(
            &mut quiet,
            what,
            came,
            "poll must wake at the earliest deadline: a loop that sleeps until an event never looks at its clock when all is quiet",
        );
    });
    closed?;
    if let Some(ticks) = ticks {
        // Clock ticks are 1/100 s: the wait took at least one second.
        if ticks > 30 {
            return Err(Failure::new(
                what,
                "an idle program while it waits",
                format!("{} ms of CPU in {:?}", ticks * 10, came.elapsed()),
            )
            .with_note("give poll the time left until the deadline, not zero: a loop that never sleeps burns a core"));
        }
    }
    session.pass(what);

    let what =
        "while one client trickles half a line, a byte every 100 ms, another is answered at once";
    let mut trickler = Wire::new(&server);
    let Some(Ok(mut bytes)) = trickler.stream().map(|s| s.try_clone()) else {
        return Err(trickler.fail(what, "a connection", "none"));
    };
    let stop = AtomicBool::new(false);
    let (answered, last_byte) = thread::scope(|scope| {
        let dripping = scope.spawn(|| {
            let mut last = Instant::now();
            let end = last + Duration::from_secs(20);
            while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                // Before the write: the program hears the byte after this.
                let now = Instant::now();
                if bytes.write_all(b"z").is_err() {
                    break;
                }
                last = now;
                thread::sleep(Duration::from_millis(100));
            }
            last
        });
        let mut other = Wire::new(&server);
        let answered = (|| {
            for line in ["one", "two", "three"] {
                let answer = line.to_ascii_uppercase();
                other
                    .exchange(what, format!("{line}\n").as_bytes(), answer.as_bytes())
                    .map_err(|f| {
                        f.with_note(
                            "never wait on one client: read what is there and go back to the loop",
                        )
                    })?;
            }
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        (answered, dripping.join().unwrap_or_else(|_| Instant::now()))
    });
    answered?;
    session.pass(what);

    let what =
        "the trickling client, quiet now, is closed 1 s after its last byte, half line and all";
    expect_idle_close(
        &mut trickler,
        what,
        last_byte,
        "a client's clock runs whatever it left unfinished",
    )?;
    session.pass(what);

    let what = "a client that sends a line every 250 ms stays connected for 2.5 s, then is closed 1 s after its last line";
    // A pause of ours (a loaded machine) of near a second would make the
    // client quiet for real: then the step is tried again.
    for attempt in 1..=3 {
        let mut talker = Wire::new(&server);
        let mut last = Instant::now();
        let mut longest = Duration::ZERO;
        let mut result = Ok(());
        for i in 0..10 {
            let now = Instant::now();
            longest = longest.max(now.duration_since(last));
            let line = format!("line {i}\n");
            last = now;
            result = talker.exchange(what, line.as_bytes(), format!("LINE {i}").as_bytes());
            if result.is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(250));
        }
        if result.is_err() && longest >= IDLE * 3 / 4 && attempt < 3 {
            continue;
        }
        result.map_err(|f| {
            f.with_note("each read that brings bytes starts the client's second again")
        })?;
        expect_idle_close(
            &mut talker,
            what,
            last,
            "the client's last line starts its last second",
        )?;
        break;
    }
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_idle_timeout

/// The byte at offset `i` of what the checker sends: a pattern that shows
/// a lost, repeated or reordered stretch wherever it happens.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

/// `n` bytes of the pattern from offset `from`.
fn pattern_from(from: usize, n: usize) -> Vec<u8> {
    (from..from + n).map(pattern).collect()
}

/// How far `got` follows the pattern from offset 0.
fn follows_pattern(got: &[u8]) -> usize {
    got.iter()
        .enumerate()
        .position(|(i, &b)| b != pattern(i))
        .unwrap_or(got.len())
}

// ANCHOR: check_echo_backpressure
fn check_echo_backpressure(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut c = Wire::new(&server);
    let what = "the program echoes a few bytes (no newline needed)";
    c.exchange(what, b"hello", b"hello")?;
    c.exchange(what, b" and more\n", b" and more\n")?;
    session.pass(what);

    let what = "1 MiB sent in one write comes back whole and in order";
    let big = pattern_from(0, 1 << 20);
    let Some(Ok(mut writer)) = c.stream().map(|s| s.try_clone()) else {
        return Err(c.fail(what, "a second handle on the connection", "none"));
    };
    let got = thread::scope(|scope| {
        scope.spawn(|| writer.write_all(&big));
        c.receive(big.len())
    });
    if got.stop.is_some() || got.bytes != big {
        let at = follows_pattern(&got.bytes);
        let described = c.describe_count(&got, big.len());
        return Err(c.fail(
            what,
            format!("{} bytes, as sent", big.len()),
            format!("{described}; the first {at} as sent"),
        ));
    }
    session.pass(what);

    let what = "a client that sends and never reads is made to wait (its writes stall) before the program holds 32 MiB more";
    let addr = server
        .socket_addr()
        .map_err(|e| Failure::new(what, "the program's address", format!("{e:#}")))?;
    let mut hog = TcpStream::connect_timeout(&addr, ANSWER_TIMEOUT)
        .map_err(|e| Failure::new(what, "to connect", e.to_string()).with_program(&server))?;
    let rss = || status_kib(server.pid(), "VmRSS").unwrap_or(0);
    let before = rss();
    // A write that takes nothing for a second: the connection is stalled.
    let _ = hog.set_write_timeout(Some(Duration::from_secs(1)));
    let limit = 256 << 20;
    let mut sent = 0usize;
    let chunk = 64 * 1024;
    loop {
        match hog.write(&pattern_from(sent, chunk)) {
            Ok(0) => break,
            Ok(n) => sent += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
            Err(e) => {
                return Err(
                    Failure::new(what, "a connection that stays open", e.to_string())
                        .with_program(&server),
                );
            }
        }
        let grown = rss().saturating_sub(before);
        if grown > 32 * 1024 {
            return Err(Failure::new(
                what,
                "the client's writes to stall before the program grows by 32 MiB",
                format!("{} MiB sent, and the program grew by {} MiB", sent >> 20, grown >> 10),
            )
            .with_note("stop reading from a client that owes more than CAP: what you do not read waits in the kernel, and TCP makes the client wait"));
        }
        if sent >= limit {
            return Err(Failure::new(
                what,
                "the client's writes to stall",
                format!("{} MiB taken and still taking", sent >> 20),
            )
            .with_note("stop reading from a client that owes more than CAP"));
        }
    }
    session.pass(what);

    let what = "meanwhile, another client is served";
    let mut other = Wire::new(&server);
    other
        .exchange(what, b"anyone there?", b"anyone there?")
        .map_err(|f| {
            f.with_note("one client that does not read must not stop the loop: never block in a write, keep the rest for later")
        })?;
    session.pass(what);

    let what = "the client that did not read gets every byte back, in order, once it reads; then the connection closes";
    let _ = hog.shutdown(Shutdown::Write);
    let mut back = Vec::with_capacity(sent);
    let _ = hog.set_read_timeout(Some(ANSWER_TIMEOUT));
    let mut buf = vec![0u8; 256 * 1024];
    let ended = loop {
        match hog.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => back.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break Some(format!("then nothing within {ANSWER_TIMEOUT:?}"));
            }
            Err(_) => break Some(format!("then {}", why_it_ended(&server))),
        }
    };
    let good = follows_pattern(&back);
    if back.len() != sent || good != sent || ended.is_some() {
        let mut got = format!("{} bytes back, the first {good} as sent", back.len());
        if let Some(ended) = ended {
            got.push_str(&format!(", {ended}"));
        }
        return Err(Failure::new(
            what,
            format!("{sent} bytes back, as sent, then the end"),
            got,
        )
        .with_program(&server)
        .with_note(
            "keep what the socket did not take, and close only once everything owed is written",
        ));
    }
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_echo_backpressure
