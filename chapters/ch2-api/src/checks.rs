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
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session};
use socket2::{Domain, SockAddr, Socket, Type};

use crate::listen::full_queue;

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
fn read_up_to(conn: &mut impl Read, size: usize) -> (Vec<u8>, Option<String>) {
    let mut got = Vec::with_capacity(size);
    let mut buf = vec![0; 64 * 1024];
    while got.len() < size {
        let want = buf.len().min(size - got.len());
        match conn.read(&mut buf[..want]) {
            Ok(0) => return (got, Some("then the connection closed".into())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                return (got, Some(format!("then nothing for {ANSWER_TIMEOUT:?}")));
            }
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
                    .with_program(&mut server),
            );
        }
        let (got, short) = read_up_to(&mut conn, size);
        if let Some(why) = short {
            return Err(Failure::new(
                expectation,
                format!("{size} bytes"),
                format!("{} bytes, {why}", got.len()),
            )
            .with_program(&mut server));
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

/// Runs one case: prepares the port, sends `line`, reads the answer.
fn ask(conn: &mut BufReader<TcpStream>, setup: Setup, words: &[&str]) -> io::Result<String> {
    let (v4_holder, v6_holder, port) = port_on_both()?;
    let v4: SocketAddr = format!("127.0.0.1:{port}")
        .parse()
        .map_err(io::Error::other)?;
    let v6: SocketAddr = format!("[::1]:{port}").parse().map_err(io::Error::other)?;
    // Keep whatever must stay alive until the answer has come.
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
    let line: Vec<String> = words
        .iter()
        .map(|w| w.replace("PORT", &port.to_string()))
        .collect();
    conn.get_mut()
        .write_all(format!("{}\n", line.join(" ")).as_bytes())?;
    let mut answer = String::new();
    if conn.read_line(&mut answer)? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection closed",
        ));
    }
    Ok(answer.trim_end().replace(&port.to_string(), "PORT"))
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
        let expectation = format!("the answer to {:?} ({what})", words.join(" "));
        let answer = match ask(&mut conn, setup, words) {
            Ok(answer) => answer,
            Err(e) => {
                let mut failure = Failure::new(expectation, expected, e.to_string());
                let timed_out = matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                );
                if timed_out && matches!(setup, Setup::V6Silent) {
                    failure = failure.with_note(
                        "an attempt without a timeout waits minutes for an address that never answers",
                    );
                } else {
                    failure = failure.with_program(&mut server);
                }
                return Err(failure);
            }
        };
        let ok = if expected.ends_with(' ') {
            answer.starts_with(expected)
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
