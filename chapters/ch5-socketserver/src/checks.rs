//! The exercises' checkers: black-box, over real sockets, for a program in
//! any language.
//!
//! - `ch5-upper-handler`: the upper-casing protocol, line by line: padding,
//!   two lines in one write, a line in two writes, a blank line, a client
//!   that leaves (and no spinning after it).
//! - `ch5-thread-per-request`: clients served at once while one dawdles,
//!   and SIGTERM answered by a clean exit within two seconds, also while a
//!   client keeps its connection open.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use book_support::ServerProcess;
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session};

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
            Ok(s)
        });
    stream.map_err(|e| Failure::new(what, "a TCP connection", e).with_program(server))
}

/// Exactly `len` bytes of answer, or what came instead.
fn answer(stream: &mut TcpStream, len: usize) -> Result<String, String> {
    let mut got = vec![0; len];
    let mut have = 0;
    while have < len {
        match stream.read(&mut got[have..]) {
            Ok(0) => {
                return Err(format!(
                    "the connection closed after {:?}",
                    String::from_utf8_lossy(&got[..have])
                ));
            }
            Ok(n) => have += n,
            Err(e) => {
                return Err(format!(
                    "{:?} and then nothing within {ANSWER_TIMEOUT:?} ({e})",
                    String::from_utf8_lossy(&got[..have])
                ));
            }
        }
    }
    Ok(String::from_utf8_lossy(&got).into_owned())
}

/// Is anything at all sent within `wait`?
fn silent_for(stream: &mut TcpStream, wait: Duration) -> Result<(), String> {
    let _ = stream.set_read_timeout(Some(wait));
    let mut buf = [0; 64];
    let result = match stream.read(&mut buf) {
        Ok(0) => Err("the connection closed".to_string()),
        Ok(n) => Err(format!("{:?}", String::from_utf8_lossy(&buf[..n]))),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(()),
        Err(e) => Err(e.to_string()),
    };
    let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
    result
}

/// Sends `bytes`, then expects `expect` back.
fn expect_answer(
    server: &mut ServerProcess,
    stream: &mut TcpStream,
    expectation: &str,
    bytes: &[u8],
    expect: &str,
) -> Result<(), Failure> {
    if let Err(e) = stream.write_all(bytes) {
        return Err(Failure::new(expectation, "to send", e.to_string()).with_program(server));
    }
    match answer(stream, expect.len()) {
        Ok(got) if got == expect => Ok(()),
        Ok(got) => Err(Failure::new(
            expectation,
            format!("{expect:?}"),
            format!("{got:?}"),
        )),
        Err(got) => Err(Failure::new(expectation, format!("{expect:?}"), got).with_program(server)),
    }
}

/// CPU time of process `pid` so far, in clock ticks (user + system).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

// ANCHOR: check_upper_handler
fn check_upper_handler(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let mut c = connect(&mut server, "connecting to the program")?;
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
        expect_answer(&mut server, &mut c, what, bytes, expect)?;
        session.pass(what);
    }

    let what = "no answer before the line is complete, then one answer";
    let _ = c.write_all(b"spl");
    if let Err(got) = silent_for(&mut c, Duration::from_millis(300)) {
        return Err(Failure::new(what, "nothing until the newline", got)
            .with_note("answer whole lines: read up to the newline, not what one read returns"));
    }
    expect_answer(&mut server, &mut c, what, b"it\n", "SPLIT")?;
    session.pass(what);

    let what = "a blank line gets no answer and the connection stays open";
    let _ = c.write_all(b"   \n");
    if let Err(got) = silent_for(&mut c, Duration::from_millis(300)) {
        return Err(Failure::new(what, "nothing", got).with_note(
            "strip the line to see that it is blank; an empty read is the end, a blank line is not",
        ));
    }
    expect_answer(&mut server, &mut c, what, b"still open\n", "STILL OPEN")?;
    session.pass(what);

    let what = "the handler ends when its client leaves, without spinning";
    drop(c);
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
    let mut again = connect(&mut server, what)?;
    expect_answer(&mut server, &mut again, what, b"next\n", "NEXT")?;
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_upper_handler

// ANCHOR: check_thread_per_request
fn check_thread_per_request(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let what = "the answer to one client";
    let mut first = connect(&mut server, what)?;
    expect_answer(&mut server, &mut first, what, b"one\n", "ONE")?;
    session.pass(what);

    let what = "ten clients answered while another sits on half a line";
    let mut dawdler = connect(&mut server, what)?;
    let _ = dawdler.write_all(b"half a li");
    let mut others = Vec::new();
    for i in 0..10 {
        others.push(connect(&mut server, what)?);
        let c = others.last_mut().expect("just pushed");
        expect_answer(
            &mut server,
            c,
            what,
            format!("client {i}\n").as_bytes(),
            &format!("CLIENT {i}"),
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
                Failure::new(what, "exit status 0", status.to_string()).with_program(&mut server)
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
    let mut rest = Vec::new();
    match dawdler.read_to_end(&mut rest) {
        Ok(_) => session.pass(what),
        Err(e) if e.kind() == ErrorKind::ConnectionReset => session.pass(what),
        Err(e) => return Err(Failure::new(what, "EOF", e.to_string())),
    }
    Ok(())
}
// ANCHOR_END: check_thread_per_request
