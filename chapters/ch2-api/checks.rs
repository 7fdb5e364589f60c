//! The exercises' checkers: black-box, over real sockets.
//!
//! - `ch2-read-timeout`: an echo, then silence: the program must ask
//!   `still there?` (its read timed out) and keep the connection, and ask
//!   no faster than its one-second timeout allows.
//! - `ch2-sendall`: sizes from 0 bytes to 64 MiB, each answer read whole and
//!   compared; 64 MiB is far more than one `send` on a non-blocking socket
//!   can take, so a program that sends once, or stops at the first
//!   WouldBlock, delivers a few MiB and then nothing. Then a 64 MiB
//!   answer that nobody reads: the program's socket must be non-blocking
//!   while it waits (a blocking `sendall()` delivers every byte too).
//! - `ch2-connect-fallback`: lists of addresses where only a later one
//!   listens, one where the first never answers (a listener with a full
//!   queue drops the SYN), and one where nothing listens.
//! - `ch2-relay`: the checker is both the client and the upstream (a Unix
//!   socket at `{path}`), and watches bytes and ends cross the relay: both
//!   ways at once, each side's end passed on, the other direction still open.

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::thread;
use std::time::{Duration, Instant};

use book_support::ServerProcess;
use book_support::check::wire::{Stop, why_it_ended};
use book_support::check::{
    ANSWER_TIMEOUT, Checker, Failure, Session, again_if_interrupted, show_bytes,
};
use socket2::{Domain, SockAddr, Socket, Type};

use ch2_api::listen::full_queue;

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch2-read-timeout",
            run: check_read_timeout,
        },
        Checker {
            name: "ch2-sendall",
            run: check_sendall,
        },
        Checker {
            name: "ch2-connect-fallback",
            run: check_connect_fallback,
        },
        Checker {
            name: "ch2-relay",
            run: check_relay,
        },
    ]
}

/// Connects to the program with bounded waits.
fn connect(server: &ServerProcess) -> Result<BufReader<TcpStream>, Failure> {
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
    let server = session.start(None)?;
    let mut conn = connect(&server)?;
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
    // A program that serves one client at a time takes the next one now.
    drop(conn);
    check_sends_nonblocking(session, &server)
}
// ANCHOR_END: check_sendall

/// How long the checker looks at the program's socket, once the first
/// bytes of a 64 MiB answer have come, before it calls the socket blocking.
/// A program that does what the exercise asks is seen non-blocking at the
/// first look; only a failing one waits this long.
const LOOK: Duration = Duration::from_secs(1);

// ANCHOR: sends_nonblocking
/// The exercise's point, which the bytes alone cannot show: a blocking
/// `send` (Python's `sendall()` on a blocking socket) delivers every byte
/// too, because it waits inside the kernel. So the checker asks for 64 MiB,
/// takes nothing, and looks at the program's end of the connection, as
/// `ss` or `lsof` could: while the answer waits for room, that socket must
/// be non-blocking (`O_NONBLOCK` in `/proc/PID/fdinfo`).
fn check_sends_nonblocking(session: &mut Session, server: &ServerProcess) -> Result<(), Failure> {
    let expectation = "while a 64 MiB answer waits for a reader that takes nothing, \
                       the program's socket is non-blocking";
    let fail = |expected: &str, got: String| {
        Err(Failure::new(expectation, expected, got).with_program(server))
    };
    let stream = match slow_reader(server) {
        Ok(stream) => stream,
        Err(e) => return fail("a TCP connection", e.to_string()),
    };
    if let Err(e) = (&stream).write_all(format!("{}\n", 64 << 20).as_bytes()) {
        return fail("to send the request", e.to_string());
    }
    match again_if_interrupted(|| stream.peek(&mut [0])) {
        Ok(n) if n > 0 => {}
        Ok(_) => return fail("the first bytes of the answer", why_it_ended(server)),
        Err(e) => return fail("the first bytes of the answer", e.to_string()),
    }
    let (Ok(program_end), Ok(checker_end)) = (stream.peer_addr(), stream.local_addr()) else {
        return fail("the connection's addresses", "none".to_string());
    };
    let deadline = Instant::now() + LOOK;
    loop {
        match socket_mode(server.pid(), program_end, checker_end) {
            Mode::NonBlocking => break,
            Mode::Unseen(why) => {
                session.pass(format!(
                    "(the program's socket could not be looked at: {why}; \
                     whether it is non-blocking is not checked)"
                ));
                return Ok(());
            }
            Mode::Blocking if Instant::now() >= deadline => {
                return Err(Failure::new(
                    expectation,
                    "a non-blocking socket, with the program waiting for room between sends",
                    format!("a blocking socket, for {LOOK:?} after the first bytes came"),
                )
                .with_note(
                    "a blocking send() or sendall() waits inside the kernel: the bytes all \
                     come, but the loop this exercise asks for is not yours. In Python: \
                     setblocking(False), then send() in a loop, and select() when it raises \
                     BlockingIOError",
                ));
            }
            Mode::Blocking => thread::sleep(Duration::from_millis(10)),
        }
    }
    session.pass(expectation);
    Ok(())
}
// ANCHOR_END: sends_nonblocking

/// A connection to the program with a small receive buffer, so that the
/// buffers between the two ends hold a few MiB at most and a 64 MiB answer
/// keeps the program sending, whatever limits this machine has.
fn slow_reader(server: &ServerProcess) -> io::Result<TcpStream> {
    let addr = server.socket_addr().map_err(io::Error::other)?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_recv_buffer_size(64 * 1024)?;
    socket.connect_timeout(&SockAddr::from(addr), ANSWER_TIMEOUT)?;
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
    Ok(stream)
}

/// What the checker saw of the program's socket.
enum Mode {
    NonBlocking,
    Blocking,
    /// Not found, or not readable: a program in a container, say.
    Unseen(String),
}

/// The mode of the program's end of the connection `program_end` ↔
/// `checker_end`: its inode from `/proc/net/tcp`, the process holding it
/// (the program, or any process it started), its flags from `fdinfo`.
fn socket_mode(pid: u32, program_end: SocketAddr, checker_end: SocketAddr) -> Mode {
    let Some(inode) = tcp_inode(program_end, checker_end) else {
        return Mode::Unseen("the connection is not in /proc/net/tcp".to_string());
    };
    let Some(flags) = socket_flags(pid, &format!("socket:[{inode}]")) else {
        return Mode::Unseen("no process this user can see holds its socket".to_string());
    };
    let Some(nonblock) = nonblock_bit() else {
        return Mode::Unseen("this system's fdinfo shows no O_NONBLOCK".to_string());
    };
    if flags & nonblock != 0 {
        Mode::NonBlocking
    } else {
        Mode::Blocking
    }
}

/// An address as `/proc/net/tcp` and `tcp6` print it: the address's
/// 32-bit words in the machine's byte order, in hex, then the port.
fn proc_net_address(addr: SocketAddr) -> String {
    let octets = match addr.ip() {
        IpAddr::V4(ip) => ip.octets().to_vec(),
        IpAddr::V6(ip) => ip.octets().to_vec(),
    };
    let words: String = octets
        .chunks(4)
        .map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]])))
        .collect();
    format!("{words}:{:04X}", addr.port())
}

/// The inode of the socket whose local address is `local` and remote
/// address `remote`.
fn tcp_inode(local: SocketAddr, remote: SocketAddr) -> Option<u64> {
    let table = if local.is_ipv4() { "tcp" } else { "tcp6" };
    let text = fs::read_to_string(format!("/proc/net/{table}")).ok()?;
    let (local, remote) = (proc_net_address(local), proc_net_address(remote));
    text.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.get(1) == Some(&local.as_str()) && cols.get(2) == Some(&remote.as_str()) {
            cols.get(9)?.parse().ok()
        } else {
            None
        }
    })
}

/// The file status flags of the descriptor that is `link` (`socket:[N]`)
/// in process `pid`, or failing that in any process this user can read.
fn socket_flags(pid: u32, link: &str) -> Option<u32> {
    let others = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok());
    std::iter::once(pid).chain(others).find_map(|pid| {
        fs::read_dir(format!("/proc/{pid}/fd"))
            .ok()?
            .flatten()
            .find(|fd| fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == link))
            .and_then(|fd| {
                fdinfo_flags(&format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_str()?))
            })
    })
}

/// The `flags:` line of an fdinfo file (octal).
fn fdinfo_flags(path: &str) -> Option<u32> {
    let text = fs::read_to_string(path).ok()?;
    let flags = text.lines().find_map(|l| l.strip_prefix("flags:"))?;
    u32::from_str_radix(flags.trim(), 8).ok()
}

/// O_NONBLOCK as fdinfo shows it (its value differs between
/// architectures): the flag that a socket of our own gains when it is
/// made non-blocking.
fn nonblock_bit() -> Option<u32> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    let path = format!("/proc/self/fdinfo/{}", socket.as_raw_fd());
    socket.set_nonblocking(true).ok()?;
    let on = fdinfo_flags(&path)?;
    socket.set_nonblocking(false).ok()?;
    let off = fdinfo_flags(&path)?;
    Some(on & !off).filter(|&bit| bit != 0)
}

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
    let server = session.start(None)?;
    let mut conn = connect(&server)?;
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

/// What the `ch2-read-timeout` program asks a quiet client.
const NUDGE: &[u8] = b"still there?\n";

/// A connection to the `ch2-read-timeout` program, which may send `NUDGE`
/// between any two answers: every whole `NUDGE` is counted and skipped.
/// (What the checker sends is in capitals, so an `s` always starts one.)
struct Quiet<'a> {
    server: &'a ServerProcess,
    stream: TcpStream,
    /// Bytes read and not yet looked at.
    pending: Vec<u8>,
    nudges: usize,
    since: Instant,
}

impl<'a> Quiet<'a> {
    fn connect(server: &'a ServerProcess) -> Result<Self, Failure> {
        let since = Instant::now();
        let conn = connect(server)?;
        Ok(Quiet {
            server,
            stream: conn.into_inner(),
            pending: Vec::new(),
            nudges: 0,
            since,
        })
    }

    /// Reads more bytes, waiting until `deadline` at most.
    fn fill(&mut self, deadline: Instant) -> Result<(), Stop> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stop::Silent);
        }
        self.stream
            .set_read_timeout(Some(left))
            .map_err(|e| Stop::Error(e.to_string()))?;
        let mut buf = [0; 64 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => Err(Stop::Ended),
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(()),
            Err(e) => Err(Stop::from_error(&e)),
        }
    }

    /// Skips the whole nudges at the start of what was read. Returns false
    /// when what is left may be the start of a nudge still coming.
    fn skip_nudges(&mut self) -> bool {
        while self.pending.starts_with(NUDGE) {
            self.pending.drain(..NUDGE.len());
            self.nudges += 1;
        }
        self.pending.is_empty() || !NUDGE.starts_with(&self.pending)
    }

    /// The failure of `step`, with what ended the read.
    fn fail(&self, step: &str, expected: &str, got: &str, stop: Stop) -> Failure {
        let why = match stop {
            Stop::Ended => why_it_ended(self.server),
            Stop::Silent => format!("nothing more within {ANSWER_TIMEOUT:?}"),
            Stop::Error(e) => e,
        };
        let got = if got.is_empty() {
            format!("nothing: {why}")
        } else {
            format!("{got}, then {why}")
        };
        Failure::new(step, expected, got).with_program(self.server)
    }

    /// Sends `data` and expects it back, nudges allowed in between.
    fn echo(&mut self, step: &str, data: &[u8]) -> Result<(), Failure> {
        if let Err(e) = self.stream.write_all(data) {
            return Err(
                Failure::new(step, "to send our bytes", e.to_string()).with_program(self.server)
            );
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let mut got = Vec::new();
        while got.len() < data.len() {
            if self.skip_nudges() && !self.pending.is_empty() {
                let take = self.pending.len().min(data.len() - got.len());
                let first_nudge = self.pending[..take].iter().position(|&b| b == NUDGE[0]);
                // A nudge may start within what came; an `s` that starts
                // no nudge is a wrong byte, and compared as one.
                let take = match first_nudge {
                    Some(0) => 1,
                    Some(i) => i,
                    None => take,
                };
                got.extend(self.pending.drain(..take));
                if !data.starts_with(&got) {
                    return Err(Failure::new(step, show_bytes(data), show_bytes(&got))
                        .with_program(self.server));
                }
                continue;
            }
            if let Err(stop) = self.fill(deadline) {
                let shown = if got.is_empty() {
                    String::new()
                } else {
                    show_bytes(&got)
                };
                return Err(self.fail(step, &show_bytes(data), &shown, stop));
            }
        }
        Ok(())
    }

    /// Expects one nudge, and nothing else, before `ANSWER_TIMEOUT` is out.
    fn expect_nudge(&mut self, step: &str) -> Result<(), Failure> {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let before = self.nudges;
        loop {
            let whole = self.skip_nudges();
            if self.nudges > before {
                return Ok(());
            }
            if whole && !self.pending.is_empty() {
                let got = show_bytes(&self.pending);
                return Err(Failure::new(step, show_bytes(NUDGE), got).with_program(self.server));
            }
            if let Err(stop) = self.fill(deadline) {
                let mut failure = self.fail(step, &show_bytes(NUDGE), "", stop.clone());
                failure.note = Some(match stop {
                    Stop::Ended => "the read timed out and the connection ended: a timeout is \
                                    not an error, only a quiet client (on Linux Rust calls it \
                                    WouldBlock, not TimedOut; Python raises TimeoutError)"
                        .to_string(),
                    _ => "no read timed out: each read should wait at most 1 second \
                          (set_read_timeout, Python's settimeout(1))"
                        .to_string(),
                });
                return Err(failure);
            }
        }
    }

    /// The nudges came no faster than one a second: a read timeout of
    /// one second cannot expire more often than that.
    fn expect_nudges_paced(&self, step: &str) -> Result<(), Failure> {
        let allowed = self.since.elapsed().as_secs() as usize + 1;
        if self.nudges <= allowed {
            return Ok(());
        }
        Err(Failure::new(
            step,
            format!(
                "at most {allowed} `still there?` in {:?}",
                self.since.elapsed()
            ),
            format!("{}", self.nudges),
        )
        .with_note(
            "a timeout of one second cannot expire more often than once a second: is the \
             timeout shorter (milliseconds for seconds?), or the socket non-blocking \
             (Python's settimeout(0))?",
        ))
    }

    /// Ends our side; expects the program to close, nudges allowed.
    fn expect_close(&mut self, step: &str) -> Result<(), Failure> {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            if self.skip_nudges() && !self.pending.is_empty() {
                let got = format!("more bytes: {}", show_bytes(&self.pending));
                return Err(Failure::new(step, "the connection closed", got));
            }
            match self.fill(deadline) {
                Ok(()) => {}
                Err(Stop::Ended) => return Ok(()),
                Err(Stop::Silent) => {
                    return Err(Failure::new(
                        step,
                        "the connection closed",
                        format!("the connection still open after {ANSWER_TIMEOUT:?}"),
                    )
                    .with_program(self.server));
                }
                Err(Stop::Error(e)) => {
                    return Err(Failure::new(step, "the connection closed", e));
                }
            }
        }
    }
}

// ANCHOR: check_read_timeout
fn check_read_timeout(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let mut conn = Quiet::connect(&server)?;
    conn.echo("what the client sends comes back", b"HELLO")?;
    session.pass("what the client sends comes back");
    conn.expect_nudge("a client quiet for a second is asked `still there?`")?;
    session.pass("a client quiet for a second is asked `still there?`");
    conn.expect_nudge(
        "after another quiet second it is asked again: the timeout did not end the connection",
    )?;
    session.pass("after another quiet second it is asked again");
    conn.echo("the quiet client is still served", b"AGAIN")?;
    session.pass("the quiet client is still served");
    conn.expect_nudges_paced("`still there?` comes at most once a second")?;
    session.pass("`still there?` comes at most once a second");
    conn.expect_close("when the client ends its side, the program closes the connection")?;
    session.pass("when the client ends its side, the program closes the connection");
    Ok(())
}
// ANCHOR_END: check_read_timeout

/// The relay's two ends, as the checker holds them: `client` talks to the
/// relay over TCP, `upstream` is the connection the relay made to the
/// checker's Unix socket.
struct Relayed {
    client: TcpStream,
    upstream: UnixStream,
}

/// A checker-side step that failed: not the program's fault.
fn setup(what: &str, err: io::Error) -> Failure {
    Failure::new(
        format!("the checker {what}"),
        "no error",
        format!("{err} (a problem of this machine, not of your program)"),
    )
}

/// Bounded waits on both kinds of stream.
fn bounded<S>(
    stream: S,
    set: impl Fn(&S, Option<Duration>) -> io::Result<()>,
    also: impl Fn(&S, Option<Duration>) -> io::Result<()>,
) -> io::Result<S> {
    set(&stream, Some(ANSWER_TIMEOUT))?;
    also(&stream, Some(ANSWER_TIMEOUT))?;
    Ok(stream)
}

impl Relayed {
    /// Connects a client to the relay, sends `first`, and takes the
    /// connection the relay makes to `upstream` for it.
    fn open(
        server: &ServerProcess,
        upstream: &UnixListener,
        first: &[u8],
        step: &str,
    ) -> Result<Self, Failure> {
        let fail =
            |expected: &str, got: String| Failure::new(step, expected, got).with_program(server);
        let client = server
            .socket_addr()
            .map_err(io::Error::other)
            .and_then(|addr| TcpStream::connect_timeout(&addr, ANSWER_TIMEOUT))
            .and_then(|s| bounded(s, TcpStream::set_read_timeout, TcpStream::set_write_timeout));
        let mut client = match client {
            Ok(client) => client,
            Err(e) => {
                let got = match Stop::from_error(&e) {
                    Stop::Ended => why_it_ended(server),
                    _ => e.to_string(),
                };
                return Err(fail("a TCP connection to the relay", got));
            }
        };
        // A relay may connect upstream at once or at the first byte.
        let _ = client.write_all(first);
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let upstream = loop {
            match upstream.accept() {
                Ok((conn, _)) => break conn,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Some(status) = server.try_status() {
                        return Err(fail(
                            "a connection from the relay to PATH",
                            format!("none: the program ended ({status})"),
                        ));
                    }
                    if Instant::now() >= deadline {
                        return Err(fail(
                            "a connection from the relay to PATH",
                            format!("none within {ANSWER_TIMEOUT:?}"),
                        ));
                    }
                    thread::sleep(Duration::from_millis(10));
                }
                Err(e) => return Err(setup("accepts the relay's connection", e)),
            }
        };
        let upstream = upstream
            .set_nonblocking(false)
            .and_then(|()| {
                bounded(
                    upstream,
                    UnixStream::set_read_timeout,
                    UnixStream::set_write_timeout,
                )
            })
            .map_err(|e| setup("sets timeouts on the upstream connection", e))?;
        Ok(Relayed { client, upstream })
    }
}

/// Expects exactly `expected` from `from`.
fn expect_bytes(
    server: &ServerProcess,
    from: &mut impl Read,
    step: &str,
    expected: &[u8],
) -> Result<(), Failure> {
    let (got, short) = read_up_to(from, expected.len());
    if short.is_none() && got == expected {
        return Ok(());
    }
    let mut text = if got.is_empty() {
        "nothing".to_string()
    } else {
        format!("{} bytes, {}", got.len(), show_bytes(&got))
    };
    match short {
        Some(Stop::Ended) => text.push_str(&format!(
            ", then the end of the connection ({})",
            why_it_ended(server)
        )),
        Some(Stop::Silent) => {
            text.push_str(&format!(", then nothing more within {ANSWER_TIMEOUT:?}"))
        }
        Some(Stop::Error(e)) => text.push_str(&format!(", then an error: {e}")),
        None => {}
    }
    Err(Failure::new(
        step,
        format!("{} bytes, {}", expected.len(), show_bytes(expected)),
        text,
    )
    .with_program(server))
}

/// Expects the end of the stream (a read of 0 bytes) from `from`.
fn expect_end(server: &ServerProcess, from: &mut impl Read, step: &str) -> Result<(), Failure> {
    let mut buf = [0; 64];
    let got = match again_if_interrupted(|| from.read(&mut buf)) {
        Ok(0) => return Ok(()),
        Ok(n) => format!("more bytes: {}", show_bytes(&buf[..n])),
        Err(e) => match Stop::from_error(&e) {
            Stop::Silent => format!("no end within {ANSWER_TIMEOUT:?}: the connection still open"),
            Stop::Ended => format!("{e}, not the end of the stream"),
            Stop::Error(e) => e,
        },
    };
    Err(Failure::new(step, "the end of the stream (a read of 0 bytes)", got).with_program(server))
}

/// Sends `bytes` on `to`, as the checker's side of a step.
fn send_bytes(
    server: &ServerProcess,
    to: &mut impl Write,
    step: &str,
    bytes: &[u8],
) -> Result<(), Failure> {
    to.write_all(bytes).map_err(|e| {
        Failure::new(
            step,
            format!("to send {} bytes", bytes.len()),
            format!("{e}: the relay's end of this connection is closed"),
        )
        .with_program(server)
    })
}

/// The size of the big transfer: more than any socket buffer on the way
/// holds at once, so every byte must be read and written on.
const RELAY_BIG: usize = 4 << 20;

// ANCHOR: check_relay
fn check_relay(session: &mut Session) -> Result<(), Failure> {
    session.require_path(
        "the path of the upstream socket",
        "python3 my_relay.py --port {port} --to {path}",
    )?;
    let path = session.scratch_path("upstream.sock");
    let upstream = UnixListener::bind(&path).map_err(|e| setup("listens on its Unix socket", e))?;
    upstream
        .set_nonblocking(true)
        .map_err(|e| setup("makes its Unix socket non-blocking", e))?;
    let server = session.start(Some(&path))?;
    if server.socket_addr().is_err() {
        return Err(Failure::new(
            "the program prints `listening on ADDR`, an IP address and port",
            "`listening on 127.0.0.1:PORT`",
            server.address().to_string(),
        ));
    }
    session.pass("listens, and prints its address");
    check_client_ends_first(session, &server, &upstream)?;
    check_upstream_ends_first(session, &server, &upstream)?;
    Ok(())
}

/// The first client: bytes both ways, then the client ends first.
fn check_client_ends_first(
    session: &mut Session,
    server: &ServerProcess,
    upstream: &UnixListener,
) -> Result<(), Failure> {
    let step = "for a client, the relay opens a connection to PATH";
    let mut r = Relayed::open(server, upstream, b"hello from the client", step)?;
    session.pass(step);
    let step = "what the client sends reaches the upstream";
    expect_bytes(server, &mut r.upstream, step, b"hello from the client")?;
    session.pass(step);
    let step = "what the upstream sends reaches the client, while both are still open";
    send_bytes(server, &mut r.upstream, step, b"hello from upstream")?;
    expect_bytes(server, &mut r.client, step, b"hello from upstream")?;
    session.pass(step);

    let step = "4 MiB sent each way at the same time all arrive";
    let big: Vec<u8> = (0..RELAY_BIG).map(|i| (i % 251) as u8).collect();
    let (mut c, mut u) = match (r.client.try_clone(), r.upstream.try_clone()) {
        (Ok(c), Ok(u)) => (c, u),
        (Err(e), _) | (_, Err(e)) => return Err(setup("clones its sockets", e)),
    };
    let (big_c, big_u) = (big.clone(), big.clone());
    let writers = [
        thread::spawn(move || c.write_all(&big_c)),
        thread::spawn(move || u.write_all(&big_u)),
    ];
    expect_bytes(server, &mut r.upstream, step, &big)?;
    expect_bytes(server, &mut r.client, step, &big)?;
    for writer in writers {
        if let Ok(Err(e)) = writer.join() {
            return Err(Failure::new(step, "every byte sent", e.to_string()).with_program(server));
        }
    }
    session.pass(step);

    let _ = r.client.shutdown(std::net::Shutdown::Write);
    expect_end(
        server,
        &mut r.upstream,
        "when the client ends its side, the upstream reads the end (shutdown passed on)",
    )?;
    session.pass("when the client ends its side, the upstream reads the end");
    let step = "after the client's end, what the upstream sends still reaches the client";
    send_bytes(
        server,
        &mut r.upstream,
        step,
        b"the answer comes after the request",
    )?;
    expect_bytes(
        server,
        &mut r.client,
        step,
        b"the answer comes after the request",
    )?;
    session.pass(step);
    drop(r.upstream);
    expect_end(
        server,
        &mut r.client,
        "when the upstream closes too, the client reads the end",
    )?;
    session.pass("when the upstream closes too, the client reads the end");
    Ok(())
}

/// The second client: the upstream ends first, the client still sends.
fn check_upstream_ends_first(
    session: &mut Session,
    server: &ServerProcess,
    upstream: &UnixListener,
) -> Result<(), Failure> {
    let step = "a second client gets a connection to PATH of its own";
    let mut r = Relayed::open(server, upstream, b"second client", step)?;
    expect_bytes(server, &mut r.upstream, step, b"second client")?;
    session.pass(step);
    let _ = r.upstream.shutdown(std::net::Shutdown::Write);
    expect_end(
        server,
        &mut r.client,
        "when the upstream ends its side, the client reads the end",
    )?;
    session.pass("when the upstream ends its side, the client reads the end");
    let step = "after the upstream's end, what the client sends still reaches the upstream";
    send_bytes(server, &mut r.client, step, b"late words")?;
    expect_bytes(server, &mut r.upstream, step, b"late words")?;
    session.pass(step);
    drop(r.client);
    expect_end(
        server,
        &mut r.upstream,
        "when the client closes too, the upstream reads the end",
    )?;
    session.pass("when the client closes too, the upstream reads the end");
    Ok(())
}
// ANCHOR_END: check_relay
