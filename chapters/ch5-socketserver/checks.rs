//! The exercises' checkers: black-box, over real sockets, for a program in
//! any language.
//!
//! - `ch5-upper-handler`: the upper-casing protocol, line by line: padding,
//!   two lines in one write, a line in two writes, a blank line, a client
//!   that leaves (and no spinning after it).
//! - `ch5-thread-per-request`: clients served at once while one dawdles,
//!   and SIGTERM answered by a clean exit within two seconds, also while a
//!   client keeps its connection open.

use std::thread;
use std::time::{Duration, Instant};

use book_support::check::{Checker, Failure, Session, Wire};
use book_support::observe::cpu_ticks;

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch5-upper-handler",
            run: check_upper_handler,
        },
        Checker {
            name: "ch5-thread-per-request",
            run: check_thread_per_request,
        },
    ]
}

// ANCHOR: check_upper_handler
fn check_upper_handler(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut c = Wire::new(&server);
    let cases: [(&str, &[u8], &str); 3] = [
        ("the answer to `hello`", b"hello\n", "HELLO"),
        (
            "the answer to a line padded with spaces and a tab",
            b"  padded out\t \n",
            "PADDED OUT",
        ),
        (
            "two answers, \"AB\" then \"CD\" (no newline after an answer), to two lines sent in one write (no 粘包)",
            b"ab\ncd\n",
            "ABCD",
        ),
    ];
    for (what, bytes, expect) in cases {
        c.exchange(what, bytes, expect.as_bytes())?;
        session.pass(what);
    }

    let what = "no answer before the line is complete, then one answer";
    c.send(what, b"spl")?;
    c.expect_silence(what, Duration::from_millis(300))
        .map_err(|f| {
            f.with_note("answer whole lines: read up to the newline, not what one read returns")
        })?;
    c.exchange(what, b"it\n", b"SPLIT")?;
    session.pass(what);

    let what = "a blank line gets no answer and the connection stays open";
    c.send(what, b"   \n")?;
    c.expect_silence(what, Duration::from_millis(300))
        .map_err(|f| {
            f.with_note(
                "strip the line to see that it is blank; an empty read is the end, a blank line is not",
            )
        })?;
    c.exchange(what, b"still open\n", b"STILL OPEN")?;
    session.pass(what);

    let what = "the handler ends when its client leaves, without spinning";
    c.hang_up();
    let before = cpu_ticks(server.pid());
    thread::sleep(Duration::from_millis(500));
    let after = cpu_ticks(server.pid());
    if let (Some(before), Some(after)) = (before, after) {
        // Clock ticks are 1/100 s: 25 ticks is half of the half second.
        if after.saturating_sub(before) > 25 {
            return Err(Failure::new(
                what,
                "an idle program",
                format!("{} ms of CPU in 500 ms", (after - before) * 10),
            )
            .with_note("a read that returns 0 bytes means the client left: stop reading"));
        }
    }
    Wire::new(&server).exchange(what, b"next\n", b"NEXT")?;
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_upper_handler

// ANCHOR: check_thread_per_request
fn check_thread_per_request(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let what = "the answer to one client";
    let mut first = Wire::new(&server);
    first.exchange(what, b"one\n", b"ONE")?;
    session.pass(what);

    let what = "ten clients answered while another sits on half a line";
    let mut dawdler = Wire::new(&server);
    dawdler.send(what, b"half a li")?;
    let mut others = Vec::new();
    for i in 0..10 {
        others.push(Wire::new(&server));
        let c = others.last_mut().expect("just pushed");
        c.exchange(
            what,
            format!("client {i}\n").as_bytes(),
            format!("CLIENT {i}").as_bytes(),
        )
        .map_err(|f| f.with_note("each request must run on a thread of its own"))?;
    }
    session.pass(what);

    let what =
        "SIGTERM: the program exits, with success, within 2 s, though clients are still connected";
    if let Err(e) = server.terminate() {
        return Err(Failure::new(what, "to send SIGTERM", e.to_string()));
    }
    let t = Instant::now();
    match server.wait_for_exit(Duration::from_secs(2)) {
        Some(status) if status.success() => {}
        Some(status) => {
            return Err(
                Failure::new(what, "exit status 0", status.to_string()).with_program(&server)
            );
        }
        None => {
            return Err(Failure::new(
                what,
                "an exit within 2 s",
                format!("still running after {:?}", t.elapsed()),
            )
            .with_note("keep the ticket alive in the thread until the work is done: the server stops reading the connections it holds"));
        }
    }
    session.pass(what);

    let what = "the waiting client's connection ends (it gets EOF, not silence)";
    dawdler.expect_close(what)?;
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_thread_per_request
