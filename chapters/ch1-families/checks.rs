//! The checkers of the chapter's exercises.
//!
//! Each is black-box: it starts the student's program from its command line,
//! talks to it over real sockets, and says at the first expectation that
//! does not hold what it expected and what came back. A program in any
//! language can pass.

use std::fmt::Display;
use std::fs;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use book_support::ServerProcess;
use book_support::check::wire::{SETTLE, why_it_ended};
use book_support::check::{
    ANSWER_TIMEOUT, Checker, Failure, Session, Wire, again_if_interrupted, show_bytes,
};
use socket2::{Domain, SockAddr, SockRef, Socket, Type};

/// Every checker of chapter 1, one per exercise in `exercises.toml`.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch1-tcp-echo",
            run: check_tcp_echo,
        },
        Checker {
            name: "ch1-udp-echo",
            run: check_udp_echo,
        },
        Checker {
            name: "ch1-unix-echo",
            run: check_unix_echo,
        },
        Checker {
            name: "ch1-seqpacket",
            run: check_seqpacket,
        },
    ]
}

/// How long one wait for an answer lasts before the checker looks whether
/// the program is still running.
const SLICE: Duration = Duration::from_millis(100);

/// The size of the big datagram: well above the 1024 or 4096 bytes a
/// `recv` buffer often has, below UDP's limit of 65,507.
pub const BIG: usize = 60_000;

/// A big message whose bytes are not all alike, so a reply made of the
/// wrong pieces cannot match it by chance, and readable in a failure.
fn big_message() -> Vec<u8> {
    const PATTERN: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    PATTERN.iter().copied().cycle().take(BIG).collect()
}

/// What a datagram socket is, to the checks below: UDP or Unix.
trait Peer {
    type Addr: PartialEq;
    fn send_to(&self, message: &[u8], to: &Self::Addr) -> io::Result<usize>;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
    fn set_read_timeout(&self, timeout: Duration) -> io::Result<()>;
    fn show(addr: &Self::Addr) -> String;
}

impl Peer for UdpSocket {
    type Addr = SocketAddr;
    fn send_to(&self, message: &[u8], to: &SocketAddr) -> io::Result<usize> {
        UdpSocket::send_to(self, message, to)
    }
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        UdpSocket::recv_from(self, buf)
    }
    fn set_read_timeout(&self, timeout: Duration) -> io::Result<()> {
        UdpSocket::set_read_timeout(self, Some(timeout))
    }
    fn show(addr: &SocketAddr) -> String {
        addr.to_string()
    }
}

impl Peer for UnixDatagram {
    type Addr = PathBuf;
    fn send_to(&self, message: &[u8], to: &PathBuf) -> io::Result<usize> {
        UnixDatagram::send_to(self, message, to)
    }
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, PathBuf)> {
        let (n, from) = UnixDatagram::recv_from(self, buf)?;
        let path = from
            .as_pathname()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok((n, path))
    }
    fn set_read_timeout(&self, timeout: Duration) -> io::Result<()> {
        UnixDatagram::set_read_timeout(self, Some(timeout))
    }
    fn show(addr: &PathBuf) -> String {
        if addr.as_os_str().is_empty() {
            "an unbound socket".to_string()
        } else {
            addr.display().to_string()
        }
    }
}

/// One conversation with the program under test.
struct Talk {
    server: ServerProcess,
}

impl Talk {
    fn fail(&mut self, expectation: &str, expected: impl Display, got: impl Display) -> Failure {
        Failure::new(expectation, expected.to_string(), got.to_string()).with_program(&self.server)
    }

    /// Receives one datagram on `socket`, within the answer timeout. It
    /// waits in short slices, so that a program that has ended (a todo!()
    /// reached, say) is reported at once rather than after the timeout.
    fn receive<P: Peer>(
        &mut self,
        socket: &P,
        expectation: &str,
        expected: &str,
    ) -> Result<(Vec<u8>, P::Addr), Failure> {
        let mut buf = vec![0; 65_536];
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let got = format!("nothing within {ANSWER_TIMEOUT:?}");
                return Err(self.fail(expectation, expected, got));
            }
            if let Some(status) = self.server.try_status() {
                let got = format!("nothing: the program ended ({status})");
                return Err(self.fail(expectation, expected, got));
            }
            if let Err(err) = socket.set_read_timeout(left.min(SLICE)) {
                return Err(setup("sets a receive timeout", err));
            }
            match again_if_interrupted(|| socket.recv_from(&mut buf)) {
                Ok((n, from)) => return Ok((buf[..n].to_vec(), from)),
                Err(err) if is_timeout(&err) => continue,
                Err(err) => {
                    return Err(self.fail(expectation, expected, format!("an error: {err}")));
                }
            }
        }
    }

    fn send<P: Peer>(&mut self, socket: &P, message: &[u8], to: &P::Addr) -> Result<(), Failure> {
        match socket.send_to(message, to) {
            Ok(_) => Ok(()),
            // A program that died may have taken its socket file with it:
            // the answer that does not come tells that, the same way
            // however fast it died.
            Err(_) if self.server.wait_for_exit(SETTLE).is_some() => Ok(()),
            Err(err) => Err(self.fail(
                &format!(
                    "a datagram of {} bytes can be sent to {}",
                    message.len(),
                    P::show(to)
                ),
                "the send to succeed",
                format!("an error: {err}"),
            )),
        }
    }

    /// Sends `message` and expects it back whole, as one datagram, from the
    /// address it was sent to.
    fn expect_echo<P: Peer>(
        &mut self,
        socket: &P,
        to: &P::Addr,
        message: &[u8],
        expectation: &str,
    ) -> Result<(), Failure> {
        self.send(socket, message, to)?;
        let expected = format!(
            "one datagram of {} bytes, {}",
            message.len(),
            show_bytes(message)
        );
        let (reply, from) = self.receive(socket, expectation, &expected)?;
        if reply != message {
            let mut got = format!(
                "a datagram of {} bytes, {}",
                reply.len(),
                show_bytes(&reply)
            );
            if reply.len() < message.len() && message.starts_with(&reply) {
                got.push_str(": the start of the message only (is the receive buffer too small?)");
            }
            return Err(self.fail(expectation, expected, got));
        }
        if from != *to {
            return Err(self.fail(
                "the reply comes from the address the program listens on",
                P::show(to),
                format!(
                    "{} (reply with the socket that received the datagram)",
                    P::show(&from)
                ),
            ));
        }
        Ok(())
    }

    /// Sends three datagrams, then expects three replies, one per message,
    /// in any order.
    fn expect_three<P: Peer>(&mut self, socket: &P, to: &P::Addr) -> Result<(), Failure> {
        let expectation = "three datagrams sent at once come back as three datagrams";
        let messages: [&[u8]; 3] = [b"one", b"two", b"three"];
        for message in messages {
            self.send(socket, message, to)?;
        }
        let mut left: Vec<&[u8]> = messages.to_vec();
        for _ in 0..3 {
            let (reply, _) = self.receive(socket, expectation, "\"one\", \"two\" and \"three\"")?;
            match left.iter().position(|m| *m == reply) {
                Some(i) => {
                    left.remove(i);
                }
                None => {
                    let still: Vec<String> = left.iter().map(|m| show_bytes(m)).collect();
                    return Err(self.fail(
                        expectation,
                        format!("one of {}", still.join(", ")),
                        format!(
                            "a datagram of {} bytes, {}",
                            reply.len(),
                            show_bytes(&reply)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Two clients each send a message; each must get its own back.
    fn expect_own_replies<P: Peer>(&mut self, a: &P, b: &P, to: &P::Addr) -> Result<(), Failure> {
        let expectation = "two clients each get their own reply (sent to the sender's address)";
        self.send(a, b"from the first client", to)?;
        self.send(b, b"from the second client", to)?;
        for (socket, mine) in [
            (a, &b"from the first client"[..]),
            (b, b"from the second client"),
        ] {
            let (reply, _) = self.receive(socket, expectation, &show_bytes(mine))?;
            if reply != mine {
                return Err(self.fail(expectation, show_bytes(mine), show_bytes(&reply)));
            }
        }
        Ok(())
    }
}

fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A checker-side setup step failed: not the program's fault.
fn setup(what: &str, err: io::Error) -> Failure {
    Failure::new(
        format!("the checker {what}"),
        "no error",
        format!("{err} (a problem of this machine, not of your program)"),
    )
}

/// The address the program printed, which must be 127.0.0.1 and the port
/// the system chose.
fn loopback_address(server: &ServerProcess) -> Result<SocketAddr, Failure> {
    let expectation = "the program listens on 127.0.0.1 and prints the real port";
    let fail = |expected: &str, got: String| {
        Err(Failure::new(expectation, expected, got).with_program(server))
    };
    let Ok(address) = server.socket_addr() else {
        return fail(
            "`listening on 127.0.0.1:` and the port the system chose",
            server.address().to_string(),
        );
    };
    if address.port() == 0 {
        return fail(
            "127.0.0.1 and a port other than 0",
            format!(
                "{address}: port 0 asks the system for a port; print the one it chose (local_addr)"
            ),
        );
    }
    if address.ip() != Ipv4Addr::LOCALHOST {
        return fail("127.0.0.1 and a port other than 0", address.to_string());
    }
    Ok(address)
}

// ANCHOR: check_tcp_echo
/// `ch1-tcp-echo`: a TCP echo server that takes its clients one at a time.
fn check_tcp_echo(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    loopback_address(&server)?;
    session.pass("listens on 127.0.0.1, at the port it printed");

    let mut first = Wire::new(&server);
    first.exchange("a short message comes back", b"hello", b"hello")?;
    session.pass("a short message comes back");
    let more =
        "a second message on the same connection comes back (keep reading until the client ends)";
    first.exchange(more, b"and more", b"and more")?;
    session.pass("a second message on the same connection comes back");
    let big = big_message();
    first.exchange("60,000 bytes come back, every one, in order", &big, &big)?;
    session.pass("60,000 bytes come back, every one, in order");
    // The client says it has finished: the server reads 0, and closes.
    first.finish_sending();
    first.expect_close(
        "when the client ends its side, the server closes the connection (read returned 0: stop)",
    )?;
    drop(first);
    session.pass("when the client ends, the server closes the connection");

    let mut second = Wire::new(&server);
    second.exchange(
        "a second client is served after the first",
        b"next",
        b"next",
    )?;
    second.finish_sending();
    second.expect_close("the second client's connection closes when it ends")?;
    drop(second);
    session.pass("a second client is served after the first");

    // A client that resets its connection (SO_LINGER 0, then close): the
    // server's next read fails with "connection reset by peer".
    let mut rude = Wire::new(&server);
    rude.exchange("a third client is served", b"bye", b"bye")?;
    if let Some(stream) = rude.stream() {
        let _ = SockRef::from(&*stream).set_linger(Some(Duration::ZERO));
    }
    drop(rude);
    let mut fourth = Wire::new(&server);
    fourth.exchange(
        "after a client resets its connection, the next client is served \
         (a reset ends that client, not the server)",
        b"still there?",
        b"still there?",
    )?;
    session.pass("a client's reset ends that client, not the server");
    Ok(())
}
// ANCHOR_END: check_tcp_echo

// ANCHOR: check_udp_echo
/// `ch1-udp-echo`: a UDP echo server on 127.0.0.1.
fn check_udp_echo(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    let address = loopback_address(&server)?;
    let mut talk = Talk { server };
    session.pass("listens on 127.0.0.1, at the port it printed");

    let client = |what: &str| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| setup(what, e));
    let a = client("opens a UDP socket")?;
    let b = client("opens a second UDP socket")?;

    talk.expect_echo(&a, &address, b"hello", "a short datagram comes back")?;
    session.pass("a short datagram comes back, from the server's address");
    talk.expect_echo(
        &a,
        &address,
        &big_message(),
        "a 60,000-byte datagram comes back whole",
    )?;
    session.pass("a 60,000-byte datagram comes back whole, as one datagram");
    talk.expect_three(&a, &address)?;
    session.pass("three datagrams come back as three datagrams");
    talk.expect_own_replies(&a, &b, &address)?;
    session.pass("two clients each get their own reply");
    talk.expect_echo(
        &a,
        &address,
        b"",
        "an empty datagram comes back (0 bytes is a message in UDP, not the end of anything)",
    )?;
    session.pass("an empty datagram comes back");
    Ok(())
}
// ANCHOR_END: check_udp_echo

// ANCHOR: check_unix_echo
/// `ch1-unix-echo`: a Unix datagram echo server at a path where a stale
/// socket file is waiting.
fn check_unix_echo(session: &mut Session) -> Result<(), Failure> {
    session.require_path("the path of its socket", "python3 my_echo.py {path}")?;
    let path = session.scratch_path("echo.sock");
    // A server that was killed leaves its socket file behind: make one.
    drop(UnixDatagram::bind(&path).map_err(|e| setup("leaves a stale socket file", e))?);
    let server = session.start(Some(&path)).map_err(|failure| {
        let mut failure = Failure {
            expectation: format!(
                "the program removes the stale socket file at {}, binds there and prints \
                 `listening on PATH`",
                path.display()
            ),
            ..failure
        };
        if failure.note.is_none() {
            failure.note =
                Some("a socket file was left at PATH, as a killed server leaves it".into());
        }
        failure
    })?;
    let mut talk = Talk { server };
    if Path::new(talk.server.address()) != path {
        let got = talk.server.address().to_string();
        return Err(talk.fail(
            "the program prints `listening on PATH` with the path it was given",
            path.display(),
            got,
        ));
    }
    // A program that has already died may have removed its file as it
    // went: that is told by the first answer that does not come.
    let is_socket = fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket());
    if !is_socket && talk.server.wait_for_exit(SETTLE).is_none() {
        return Err(talk.fail("a socket file exists at PATH", "a socket file", "none"));
    }
    session.pass("starts although a stale socket file was at PATH");

    let client = |name: &str| {
        UnixDatagram::bind(session.scratch_path(name))
            .map_err(|e| setup(&format!("binds its own socket at {name}"), e))
    };
    let a = client("client-a.sock")?;
    let b = client("client-b.sock")?;

    talk.expect_echo(
        &a,
        &path,
        b"hello",
        "a short datagram comes back to the client's path",
    )?;
    session.pass("a short datagram comes back to the client's bound path, from PATH");
    talk.expect_echo(
        &a,
        &path,
        &big_message(),
        "a 60,000-byte datagram comes back whole",
    )?;
    session.pass("a 60,000-byte datagram comes back whole, as one datagram");
    talk.expect_three(&a, &path)?;
    session.pass("three datagrams come back as three datagrams");
    talk.expect_own_replies(&a, &b, &path)?;
    session.pass("two clients each get their own reply");
    talk.expect_echo(&a, &path, b"", "an empty datagram comes back")?;
    session.pass("an empty datagram comes back");
    Ok(())
}
// ANCHOR_END: check_unix_echo

/// One seqpacket client of the program under test.
struct SeqClient<'a> {
    server: &'a ServerProcess,
    socket: Socket,
}

impl<'a> SeqClient<'a> {
    /// Connects a `SOCK_SEQPACKET` socket to `path`.
    fn connect(server: &'a ServerProcess, path: &Path, step: &str) -> Result<Self, Failure> {
        let fail = |got: String| Failure::new(step, "a seqpacket connection", got);
        let socket = Socket::new(Domain::UNIX, Type::SEQPACKET, None)
            .map_err(|e| setup("makes a seqpacket socket", e))?;
        let address = SockAddr::unix(path).map_err(|e| setup("makes the socket address", e))?;
        if let Err(err) = socket.connect(&address) {
            // EPROTOTYPE, "Protocol wrong type for socket": the socket at
            // PATH is of another type. (Its number differs between
            // architectures; its message does not.)
            if err.to_string().contains("wrong type") {
                return Err(fail(format!("{err}")).with_note(
                    "a SOCK_SEQPACKET client can connect only to a SOCK_SEQPACKET socket: \
                     is yours SOCK_STREAM or SOCK_DGRAM?",
                ));
            }
            let why = match server.settle(SETTLE) {
                Some(status) => format!("the program ended ({status})"),
                None => err.to_string(),
            };
            return Err(fail(why).with_program(server));
        }
        if let Err(err) = socket.set_read_timeout(Some(ANSWER_TIMEOUT)) {
            return Err(setup("sets a receive timeout", err));
        }
        Ok(SeqClient { server, socket })
    }

    /// Sends one message.
    fn send(&self, step: &str, message: &[u8]) -> Result<(), Failure> {
        match self.socket.send(message) {
            Ok(_) => Ok(()),
            // A program that died is told by the answer that does not come.
            Err(_) if self.server.settle(SETTLE).is_some() => Ok(()),
            Err(err) => Err(Failure::new(
                step,
                format!("to send a message of {} bytes", message.len()),
                format!("an error: {err}"),
            )
            .with_program(self.server)),
        }
    }

    /// Receives one message; `None` at the end of the connection.
    fn receive(&self, step: &str, expected: &str) -> Result<Option<Vec<u8>>, Failure> {
        let mut buf = vec![0; 65_536];
        match again_if_interrupted(|| (&self.socket).read(&mut buf)) {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(buf[..n].to_vec())),
            Err(err) => {
                let got = if is_timeout(&err) {
                    format!("nothing within {ANSWER_TIMEOUT:?}")
                } else {
                    format!("nothing: {}", why_it_ended(self.server))
                };
                Err(Failure::new(step, expected, got).with_program(self.server))
            }
        }
    }

    /// Expects one message holding exactly `answer`.
    fn expect(&self, step: &str, answer: &str) -> Result<(), Failure> {
        let expected = format!("one message, {}", show_bytes(answer.as_bytes()));
        match self.receive(step, &expected)? {
            Some(got) if got == answer.as_bytes() => Ok(()),
            Some(got) => {
                let mut text = format!("a message of {} bytes, {}", got.len(), show_bytes(&got));
                if answer == "60000" && got.iter().all(u8::is_ascii_digit) {
                    text.push_str(
                        ": the size of what one read returned (is the buffer too small?)",
                    );
                }
                Err(Failure::new(step, expected, text).with_program(self.server))
            }
            None => Err(Failure::new(
                step,
                expected,
                format!("the end of the connection: {}", why_it_ended(self.server)),
            )
            .with_program(self.server)),
        }
    }

    /// Ends our side, and expects the program to close its side.
    fn expect_close(&self, step: &str) -> Result<(), Failure> {
        let _ = self.socket.shutdown(std::net::Shutdown::Write);
        match self.receive(step, "the end of the connection")? {
            None => Ok(()),
            Some(got) => Err(Failure::new(
                step,
                "the end of the connection",
                format!("a message, {}", show_bytes(&got)),
            )),
        }
    }
}

// ANCHOR: check_seqpacket
/// `ch1-seqpacket`: a Unix seqpacket server that answers each message with
/// its size.
fn check_seqpacket(session: &mut Session) -> Result<(), Failure> {
    session.require_path("the path of its socket", "python3 my_server.py {path}")?;
    let path = session.scratch_path("seq.sock");
    let server = session.start(Some(&path))?;
    if Path::new(server.address()) != path {
        return Err(Failure::new(
            "the program prints `listening on PATH` with the path it was given",
            path.display().to_string(),
            server.address().to_string(),
        )
        .with_program(&server));
    }
    session.pass("prints `listening on PATH`");

    let first = SeqClient::connect(
        &server,
        &path,
        "a SOCK_SEQPACKET client can connect to PATH",
    )?;
    session.pass("a SOCK_SEQPACKET client connects to PATH");
    let step = "the message `hello` is answered with one message, `5`";
    first.send(step, b"hello")?;
    first.expect(step, "5")?;
    session.pass(step);
    let step = "three messages sent at once are answered `3`, `3`, `5`: one answer per message";
    for message in [&b"one"[..], b"two", b"three"] {
        first.send(step, message)?;
    }
    for answer in ["3", "3", "5"] {
        first.expect(step, answer)?;
    }
    session.pass("three messages sent at once get three answers, `3`, `3` and `5`");
    let step = "a message of 60,000 bytes is answered `60000`";
    first.send(step, &big_message())?;
    first.expect(step, "60000")?;
    session.pass(step);
    first.expect_close("when the client ends its side, the program closes the connection")?;
    drop(first);
    session.pass("when the client ends, the program closes the connection");

    let second = SeqClient::connect(&server, &path, "a second client can connect")?;
    let step = "a second client is served after the first";
    second.send(step, b"again")?;
    second.expect(step, "5")?;
    session.pass(step);
    Ok(())
}
// ANCHOR_END: check_seqpacket
