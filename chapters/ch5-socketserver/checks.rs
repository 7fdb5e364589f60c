//! The exercises' checkers: black-box, over real sockets, for a program in
//! any language.
//!
//! - `ch5-upper-handler`: the upper-casing protocol, line by line: padding,
//!   two lines in one write, a line in two writes, a blank line, a client
//!   that leaves (and no spinning after it).
//! - `ch5-kv-store`: SET, GET and INCR on one connection and across
//!   connections (one store for all), bad commands, and eight clients
//!   connected at once whose 2,000 increments must all count.
//! - `ch5-thread-per-request`: clients served at once while one dawdles,
//!   and SIGTERM answered by a clean exit within two seconds, also while a
//!   client keeps its connection open.
//! - `ch5-chat-room`: welcome, joined, lines passed to everybody else (not
//!   back), a half line that holds up nobody, and a leave said both when a
//!   client closes and when its connection is reset.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session, Wire, show_bytes};
use book_support::observe::cpu_ticks;

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch5-upper-handler",
            run: check_upper_handler,
        },
        Checker {
            name: "ch5-kv-store",
            run: check_kv_store,
        },
        Checker {
            name: "ch5-thread-per-request",
            run: check_thread_per_request,
        },
        Checker {
            name: "ch5-chat-room",
            run: check_chat_room,
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

// ANCHOR: check_kv_store
fn check_kv_store(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut c = Wire::new(&server);
    let what = "SET then GET on one connection";
    c.exchange(what, b"SET colour blue\n", b"OK\n")?;
    c.exchange(what, b"GET colour\n", b"blue\n")?;
    session.pass(what);

    let what = "another connection reads what the first one set (one store for every client)";
    Wire::new(&server)
        .exchange(what, b"GET colour\n", b"blue\n")
        .map_err(|f| {
            let note = if f.got.starts_with("b'NONE") {
                "keep the map in the handler, shared by every request, not in `handle`"
            } else {
                "the first client is still connected: serve each on a thread of its own"
            };
            f.with_note(note)
        })?;
    session.pass(what);

    let what = "a key never set is NONE, a value keeps its spaces, SET replaces";
    c.exchange(what, b"GET shape\n", b"NONE\n")?;
    c.exchange(what, b"SET motto two  words here\n", b"OK\n")?;
    c.exchange(what, b"GET motto\n", b"two  words here\n")?;
    c.exchange(what, b"SET colour red\n", b"OK\n")?;
    c.exchange(what, b"GET colour\n", b"red\n")?;
    session.pass(what);

    let what = "INCR counts from 0; a bad command or a value that is no number gets ERR, and the connection stays";
    c.exchange(what, b"INCR hits\n", b"1\n")?;
    c.exchange(what, b"INCR hits\n", b"2\n")?;
    c.exchange(what, b"FLY away\n", b"ERR bad command\n")?;
    c.exchange(what, b"GET\n", b"ERR bad command\n")?;
    c.exchange(what, b"INCR motto\n", b"ERR not a number\n")?;
    c.exchange(what, b"GET hits\n", b"2\n")?;
    session.pass(what);

    let what = "eight clients connected at once, 250 INCR each: all 2000 count";
    let addr = server
        .socket_addr()
        .map_err(|e| Failure::new(what, "the program's address", format!("{e:#}")))?;
    // Every client connects and is answered once before any goes on, so a
    // server that serves one client at a time fails here, not by chance.
    let mut clients = Vec::new();
    for _ in 0..8 {
        let mut client = LineClient::connect(addr)
            .map_err(|e| Failure::new(what, "to connect", e).with_program(&server))?;
        client.ask("INCR race\n").map_err(|e| {
            Failure::new(what, "an answer to `INCR race`", e)
                .with_program(&server)
                .with_note("serve each client on a thread of its own, while others stay connected")
        })?;
        clients.push(client);
    }
    let results: Vec<Result<(), String>> = thread::scope(|scope| {
        let workers: Vec<_> = clients
            .iter_mut()
            .map(|client| {
                scope.spawn(move || {
                    let mut last = 0u64;
                    for _ in 1..250 {
                        let answer = client.ask("INCR race\n")?;
                        let n: u64 = answer.trim_end().parse().map_err(|_| {
                            format!("{} to `INCR race`", show_bytes(answer.as_bytes()))
                        })?;
                        if n <= last {
                            return Err(format!("{n} after {last}: the count went back"));
                        }
                        last = n;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err("a client thread panicked".into()))
            })
            .collect()
    });
    if let Some(Err(e)) = results.into_iter().find(Result::is_err) {
        return Err(Failure::new(what, "a rising number for every INCR", e).with_program(&server));
    }
    c.exchange(what, b"GET race\n", b"2000\n").map_err(|f| {
        f.with_note("read, add and write under one lock: two INCRs that both read 7 write 8 once")
    })?;
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_kv_store

/// A client of a line protocol, for the checker's own threads.
struct LineClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl LineClient {
    fn connect(addr: SocketAddr) -> Result<Self, String> {
        let stream =
            TcpStream::connect_timeout(&addr, ANSWER_TIMEOUT).map_err(|e| e.to_string())?;
        let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
        let _ = stream.set_write_timeout(Some(ANSWER_TIMEOUT));
        let _ = stream.set_nodelay(true);
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(LineClient {
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// Sends `line` and reads one answer line.
    fn ask(&mut self, line: &str) -> Result<String, String> {
        self.writer
            .write_all(line.as_bytes())
            .map_err(|e| format!("sending failed: {e}"))?;
        let mut answer = String::new();
        match self.reader.read_line(&mut answer) {
            Ok(0) => Err("the connection ended".into()),
            Ok(_) if answer.ends_with('\n') => Ok(answer),
            Ok(_) => Err(format!("{}, then the end", show_bytes(answer.as_bytes()))),
            Err(e) => Err(format!("no answer within {ANSWER_TIMEOUT:?} ({e})")),
        }
    }
}

/// Expects the welcome a newly connected client gets, and returns the
/// client's address as the program sees it (`127.0.0.1:PORT`). The
/// expectation reads the same whether or not the connection could be made.
fn expect_welcome(wire: &mut Wire<'_>, what: &str) -> Result<String, Failure> {
    let expected = "`welcome ADDR\\n`, ADDR being this client's address (127.0.0.1:PORT)";
    let Some(addr) = wire.stream().and_then(|s| s.local_addr().ok()) else {
        let why = wire.ended_why();
        return Err(wire.fail(what, expected, format!("nothing: {why}")));
    };
    let addr = addr.to_string();
    let line = format!("welcome {addr}\n");
    let got = wire.receive(line.len());
    if got.stop.is_none() && got.bytes == line.as_bytes() {
        return Ok(addr);
    }
    let described = wire.describe(&got, line.as_bytes());
    Err(wire.fail(what, expected, described))
}

// ANCHOR: check_chat_room
fn check_chat_room(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let what = "a newcomer is welcomed with its address";
    let mut a = Wire::new(&server);
    let addr_a = expect_welcome(&mut a, what)?;
    session.pass(what);

    let what = "a second client is welcomed, and the first is told it joined";
    let mut b = Wire::new(&server);
    let addr_b = expect_welcome(&mut b, what).map_err(|f| {
        f.with_note("serve each client on a thread of its own: the first one is still connected")
    })?;
    a.expect(what, format!("{addr_b} joined\n").as_bytes())?;
    session.pass(what);

    let what =
        "a line goes to everybody else, with its sender's address, and not back to its sender";
    a.send(what, b"hello\n")?;
    b.expect(what, format!("{addr_a}: hello\n").as_bytes())?;
    b.send(what, b"hi there\n")?;
    a.expect(what, format!("{addr_b}: hi there\n").as_bytes())
        .map_err(|f| f.with_note("skip the sender when you pass a line on"))?;
    a.expect_silence(what, Duration::from_millis(200))?;
    session.pass(what);

    let what = "a third client's half line holds up nobody, and is passed on once finished";
    let mut c = Wire::new(&server);
    let addr_c = expect_welcome(&mut c, what)?;
    a.expect(what, format!("{addr_c} joined\n").as_bytes())?;
    b.expect(what, format!("{addr_c} joined\n").as_bytes())?;
    c.send(what, b"half a li")?;
    a.send(what, b"more\n")?;
    b.expect(what, format!("{addr_a}: more\n").as_bytes())?;
    c.expect(what, format!("{addr_a}: more\n").as_bytes())?;
    c.send(what, b"ne\n")?;
    a.expect(what, format!("{addr_c}: half a line\n").as_bytes())?;
    b.expect(what, format!("{addr_c}: half a line\n").as_bytes())?;
    session.pass(what);

    let what = "a client that closes its end is said to have left";
    b.hang_up();
    a.expect(what, format!("{addr_b} left\n").as_bytes())?;
    c.expect(what, format!("{addr_b} left\n").as_bytes())?;
    session.pass(what);

    let what = "a client whose connection is reset is said to have left too (finish runs even when handle fails)";
    if let Some(stream) = c.stream() {
        // SO_LINGER 0: closing sends a reset, and the program's read fails.
        let _ = socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO));
    }
    drop(c);
    a.expect(what, format!("{addr_c} left\n").as_bytes())
        .map_err(|f| f.with_note("say it in `finish`: a read that fails ends `handle` early"))?;
    session.pass(what);

    let what = "the room goes on: a newcomer joins and hears the first client";
    let mut d = Wire::new(&server);
    let addr_d = expect_welcome(&mut d, what)?;
    a.expect(what, format!("{addr_d} joined\n").as_bytes())?;
    a.send(what, b"still here\n")?;
    d.expect(what, format!("{addr_a}: still here\n").as_bytes())?;
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_chat_room
