//! The exercises' checkers: black-box, over real sockets.
//!
//! - `ch2-sendall`: sizes from 0 bytes to 64 MiB, each answer read whole and
//!   compared; 64 MiB is far more than one `send` on a non-blocking socket
//!   can take, so a program that sends once, or stops at the first
//!   WouldBlock, delivers a few MiB and then nothing.
//! - `ch2-connect-fallback`: lists of addresses where only a later one
//!   listens, one where the first never answers (a listener with a full
//!   queue drops the SYN), and one where nothing listens.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use book_support::ServerProcess;
use book_support::check::wire::{Stop, why_it_ended};
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session};
use socket2::{Domain, SockAddr, Socket, Type};

use ch2_api::listen::full_queue;

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch2-sendall",
            run: check_sendall,
        },
        Checker {
            name: "ch2-connect-fallback",
            run: check_connect_fallback,
        },
    ]
}

/// Connects to the program with bounded waits.
fn connect(server: &mut ServerProcess) -> Result<BufReader<TcpStream>, Failure> {
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
    match stream {
        Ok(s) => Ok(BufReader::new(s)),
        Err(e) => Err(
            Failure::new("connecting to the program", "a TCP connection", e).with_program(server),
        ),
    }
}

/// Reads up to `size` bytes; returns them and, if fewer came, why.
fn read_up_to(conn: &mut impl Read, size: usize) -> (Vec<u8>, Option<Stop>) {
    let mut got = Vec::with_capacity(size);
    let mut buf = vec![0; 64 * 1024];
    while got.len() < size {
        let want = buf.len().min(size - got.len());
        match conn.read(&mut buf[..want]) {
            Ok(0) => return (got, Some(Stop::Ended)),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (got, Some(Stop::from_error(&e))),
        }
    }
    (got, None)
}

// ANCHOR: check_sendall
fn check_sendall(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let mut conn = connect(&mut server)?;
    for size in [5, 0, 100_000, 64 << 20, 3] {
        let expectation = format!("the answer to a request for {size} bytes");
        if let Err(e) = conn.get_mut().write_all(format!("{size}\n").as_bytes()) {
            return Err(
                Failure::new(expectation, "to send the request", e.to_string())
                    .with_program(&server),
            );
        }
        let (got, short) = read_up_to(&mut conn, size);
        if let Some(stop) = short {
            let why = match stop {
                Stop::Ended => why_it_ended(&server),
                Stop::Silent => format!("nothing more came within {ANSWER_TIMEOUT:?}"),
                Stop::Error(e) => e,
            };
            let got = match got.len() {
                0 => format!("nothing: {why}"),
                n => format!("{n} bytes, then {why}"),
            };
            return Err(
                Failure::new(expectation, format!("{size} bytes"), got).with_program(&server)
            );
        }
        if let Some(i) = got
            .iter()
            .enumerate()
            .position(|(i, &b)| b != (i % 251) as u8)
        {
            return Err(Failure::new(
                expectation,
                format!("byte {i} to be {}", i % 251),
                format!("{}", got[i]),
            ));
        }
        session.pass(expectation);
    }
    Ok(())
}
// ANCHOR_END: check_sendall

/// A port free on both 127.0.0.1 and ::1, held on both by sockets that are
/// bound but do not listen (so connecting there is refused). Returns the
/// two holders and the port.
fn port_on_both() -> io::Result<(Socket, Socket, u16)> {
    let mut last = None;
    for _ in 0..20 {
        let v4 = Socket::new(Domain::IPV4, Type::STREAM, None)?;
        v4.bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))?;
        let port = v4
            .local_addr()?
            .as_socket()
            .map_or(0, |a: SocketAddr| a.port());
        let v6 = Socket::new(Domain::IPV6, Type::STREAM, None)?;
        match v6.bind(&SockAddr::from(SocketAddr::from((
            std::net::Ipv6Addr::LOCALHOST,
            port,
        )))) {
            Ok(()) => return Ok((v4, v6, port)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no port free on both")))
}

/// Which of a pair of addresses gets a listener in a case.
#[derive(Clone, Copy)]
enum Setup {
    /// The named family listens, the other refuses.
    Listening(&'static str),
    /// ::1 drops SYNs (full queue), 127.0.0.1 listens.
    V6Silent,
    /// Nothing listens.
    Nothing,
}

/// Runs one case: prepares a port, sends `words` with `PORT` replaced by
/// it, reads the answer. Returns the words sent, the answer and the port.
fn ask(
    conn: &mut BufReader<TcpStream>,
    setup: Setup,
    words: &[&str],
) -> (String, u16, io::Result<String>) {
    // Between closing a holder and binding its listener, another program
    // on the machine may take the port: try another port, a few times.
    let mut last = io::Error::other("no port to try");
    for _ in 0..5 {
        let holders = match port_on_both() {
            Ok(found) => found,
            Err(e) => return (words.join(" "), 0, Err(e)),
        };
        let port = holders.2;
        let keep = match prepare(setup, holders) {
            Ok(keep) => keep,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                last = e;
                continue;
            }
            Err(e) => return (words.join(" "), port, Err(e)),
        };
        let sent = words.join(" ").replace("PORT", &port.to_string());
        let answer = send_and_read(conn, &sent);
        drop(keep);
        return (sent, port, answer);
    }
    (words.join(" "), 0, Err(last))
}

/// Sets the port up as the case says. Returns what must stay alive until
/// the answer has come.
fn prepare(
    setup: Setup,
    (v4_holder, v6_holder, port): (Socket, Socket, u16),
) -> io::Result<Vec<Box<dyn std::any::Any>>> {
    let v4: SocketAddr = format!("127.0.0.1:{port}")
        .parse()
        .map_err(io::Error::other)?;
    let v6: SocketAddr = format!("[::1]:{port}").parse().map_err(io::Error::other)?;
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    match setup {
        Setup::Listening(family) => {
            let (addr, holder) = if family == "v4" {
                (v4, v4_holder)
            } else {
                (v6, v6_holder)
            };
            drop(holder);
            keep.push(Box::new(TcpListener::bind(addr)?));
        }
        Setup::V6Silent => {
            drop((v4_holder, v6_holder));
            keep.push(Box::new(TcpListener::bind(v4)?));
            keep.push(Box::new(full_queue(v6)?));
        }
        Setup::Nothing => keep.push(Box::new((v4_holder, v6_holder))),
    }
    Ok(keep)
}

/// Sends one request line and reads the answer line.
fn send_and_read(conn: &mut BufReader<TcpStream>, line: &str) -> io::Result<String> {
    conn.get_mut().write_all(format!("{line}\n").as_bytes())?;
    let mut answer = String::new();
    if conn.read_line(&mut answer)? == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(answer.trim_end().to_string())
}

// ANCHOR: check_connect_fallback
fn check_connect_fallback(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let mut conn = connect(&mut server)?;
    let cases: [(&str, Setup, &[&str], &str); 5] = [
        (
            "one address, listening",
            Setup::Listening("v4"),
            &["127.0.0.1:PORT"],
            "connected 127.0.0.1:PORT",
        ),
        (
            "::1 refuses, 127.0.0.1 listens",
            Setup::Listening("v4"),
            &["[::1]:PORT", "127.0.0.1:PORT"],
            "connected 127.0.0.1:PORT",
        ),
        (
            "127.0.0.1 refuses, ::1 listens",
            Setup::Listening("v6"),
            &["127.0.0.1:PORT", "[::1]:PORT"],
            "connected [::1]:PORT",
        ),
        (
            "::1 never answers (its queue is full), 127.0.0.1 listens",
            Setup::V6Silent,
            &["[::1]:PORT", "127.0.0.1:PORT"],
            "connected 127.0.0.1:PORT",
        ),
        (
            "nothing listens on either",
            Setup::Nothing,
            &["[::1]:PORT", "127.0.0.1:PORT"],
            "failed: ",
        ),
    ];
    for (what, setup, words, expected) in cases {
        let (sent, port, answer) = ask(&mut conn, setup, words);
        let expectation = format!("the answer to {sent:?} ({what})");
        let expected = expected.replace("PORT", &port.to_string());
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                let got = match Stop::from_error(&e) {
                    Stop::Ended => format!("nothing: {}", why_it_ended(&server)),
                    Stop::Silent => format!("nothing within {ANSWER_TIMEOUT:?}"),
                    Stop::Error(text) => text,
                };
                let mut failure = Failure::new(expectation, &expected, got);
                let timed_out = matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                );
                if timed_out && matches!(setup, Setup::V6Silent) {
                    failure = failure.with_note(
                        "an attempt without a timeout waits minutes for an address that never answers",
                    );
                } else {
                    failure = failure.with_program(&server);
                }
                return Err(failure);
            }
        };
        let ok = if expected.ends_with(' ') {
            answer.starts_with(&expected)
        } else {
            answer == expected
        };
        if !ok {
            return Err(Failure::new(expectation, expected, answer));
        }
        session.pass(expectation);
    }
    Ok(())
}
// ANCHOR_END: check_connect_fallback
