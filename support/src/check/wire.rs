//! A TCP conversation with the program under test, told the same way
//! however fast the program dies.
//!
//! A program that stops at a `todo!()` or an uncaught exception dies at a
//! moment no checker controls. Depending on that moment, the checker's
//! `connect` is refused or succeeds, its `send` succeeds or meets a reset,
//! and its `recv` returns end-of-file or a reset. Told as they happen, those
//! would give one program three different verdicts. [`Wire`] tells them as
//! one story instead:
//!
//! - a broken `connect` or `send` is not reported on the spot: the next
//!   expectation reports it, as the answer that did not come;
//! - a connection that ended (end-of-file, reset, refused, broken pipe) is
//!   then explained by the program's state, once it has settled: "the
//!   program ended (exit status: 101)" if it exits within [`SETTLE`], "the
//!   connection ended" if it goes on running.
//!
//! Every wait is bounded by [`ANSWER_TIMEOUT`] or [`SETTLE`].

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use super::bytes::show_bytes;
use super::{ANSWER_TIMEOUT, Failure, again_if_interrupted};
use crate::process::ServerProcess;

/// The longest a checker waits for a program whose connection ended to
/// exit or to come to rest (all its threads asleep: it lives on), before it
/// calls the program alive. A dying program needs milliseconds, and so does
/// one that lives on: the wait ends as soon as either is clear.
pub const SETTLE: Duration = Duration::from_secs(3);

/// Why a read stopped before it had every byte it wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The peer closed or reset the connection (or never took it).
    Ended,
    /// Nothing more came within the answer timeout.
    Silent,
    /// Another error, as the system said it.
    Error(String),
}

impl Stop {
    /// The stop an I/O error means.
    pub fn from_error(err: &std::io::Error) -> Self {
        match err.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Stop::Silent,
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionRefused
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
            | ErrorKind::NotConnected => Stop::Ended,
            _ => Stop::Error(err.to_string()),
        }
    }
}

/// What a read got: the bytes, and why it stopped short if it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The bytes that came.
    pub bytes: Vec<u8>,
    /// `None` when every byte asked for came.
    pub stop: Option<Stop>,
}

/// The longest a whole answer may take, however steadily its bytes come.
pub const ANSWER_LIMIT: Duration = Duration::from_secs(60);

/// Reads until `n` bytes are in, the connection ends, or no byte comes for
/// [`ANSWER_TIMEOUT`] (or the whole answer takes over [`ANSWER_LIMIT`]).
pub fn read_up_to(stream: &mut TcpStream, n: usize) -> Received {
    let deadline = Instant::now() + ANSWER_LIMIT;
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while bytes.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = left.min(ANSWER_TIMEOUT);
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            return Received {
                bytes,
                stop: Some(Stop::Silent),
            };
        }
        let want = buf.len().min(n - bytes.len());
        match stream.read(&mut buf[..want]) {
            Ok(0) => {
                return Received {
                    bytes,
                    stop: Some(Stop::Ended),
                };
            }
            Ok(k) => bytes.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                return Received {
                    bytes,
                    stop: Some(Stop::from_error(&e)),
                };
            }
        }
    }
    let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
    Received { bytes, stop: None }
}

/// One TCP connection to the program under test.
///
/// It connects when it is first used, so that a program that died before
/// it could be reached fails at the first answer it owed, the same
/// expectation as a program that died a moment later.
#[derive(Debug)]
pub struct Wire<'a> {
    server: &'a ServerProcess,
    stream: Option<TcpStream>,
    /// Set when `connect` or `send` met a connection that had ended; the
    /// next expectation reports it.
    broken: Option<Broken>,
}

/// How the connection broke before an expectation could see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    Refused,
    Ended,
}

impl<'a> Wire<'a> {
    /// A conversation with `server`, not yet connected.
    pub fn new(server: &'a ServerProcess) -> Self {
        Wire {
            server,
            stream: None,
            broken: None,
        }
    }

    /// The program under test.
    pub fn server(&self) -> &ServerProcess {
        self.server
    }

    /// The connection, made now if it was not yet. `None` when it could not
    /// be made or has broken; the next expectation says why.
    pub fn stream(&mut self) -> Option<&mut TcpStream> {
        if self.stream.is_none() && self.broken.is_none() {
            self.connect();
        }
        if self.broken.is_some() {
            return None;
        }
        self.stream.as_mut()
    }

    fn connect(&mut self) {
        let Ok(addr) = self.server.socket_addr() else {
            self.broken = Some(Broken::Refused);
            return;
        };
        match TcpStream::connect_timeout(&addr, ANSWER_TIMEOUT) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                let _ = stream.set_write_timeout(Some(ANSWER_TIMEOUT));
                let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
                self.stream = Some(stream);
            }
            Err(err) if err.kind() == ErrorKind::ConnectionRefused => {
                self.broken = Some(Broken::Refused);
            }
            Err(_) => self.broken = Some(Broken::Ended),
        }
    }

    /// Sends `bytes`. A connection that has ended is reported by the next
    /// expectation; a program that stops taking bytes fails `step` here.
    pub fn send(&mut self, step: &str, bytes: &[u8]) -> Result<(), Failure> {
        let Some(stream) = self.stream() else {
            return Ok(());
        };
        let result = stream.write_all(bytes);
        let _ = stream.flush();
        match result {
            Ok(()) => Ok(()),
            Err(err) => match Stop::from_error(&err) {
                Stop::Ended => {
                    self.broken = Some(Broken::Ended);
                    Ok(())
                }
                Stop::Silent => Err(self.fail(
                    step,
                    format!("the program to take the {} bytes we send", bytes.len()),
                    format!("it took no more of them within {ANSWER_TIMEOUT:?}"),
                )),
                Stop::Error(text) => Err(self.fail(step, "to send our bytes", text)),
            },
        }
    }

    /// Reads up to `n` bytes (see [`read_up_to`]).
    pub fn receive(&mut self, n: usize) -> Received {
        match self.stream() {
            Some(stream) => read_up_to(stream, n),
            None => Received {
                bytes: Vec::new(),
                stop: Some(Stop::Ended),
            },
        }
    }

    /// Expects exactly `expected` next.
    pub fn expect(&mut self, step: &str, expected: &[u8]) -> Result<(), Failure> {
        let got = self.receive(expected.len());
        if got.stop.is_none() && got.bytes == expected {
            return Ok(());
        }
        let described = self.describe(&got, expected);
        Err(self.fail(step, show_bytes(expected), described))
    }

    /// Sends `request`, then expects exactly `answer`.
    pub fn exchange(&mut self, step: &str, request: &[u8], answer: &[u8]) -> Result<(), Failure> {
        self.send(step, request)?;
        self.expect(step, answer)
    }

    /// Expects the program to close the connection, with nothing more sent.
    pub fn expect_close(&mut self, step: &str) -> Result<(), Failure> {
        let Some(stream) = self.stream() else {
            return Ok(());
        };
        let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
        let mut buf = [0u8; 64];
        let got = match again_if_interrupted(|| stream.read(&mut buf)) {
            Ok(0) => return Ok(()),
            Ok(n) => format!("more bytes: {}", show_bytes(&buf[..n])),
            Err(err) => match Stop::from_error(&err) {
                Stop::Ended => return Ok(()),
                Stop::Silent => format!("the connection still open after {ANSWER_TIMEOUT:?}"),
                Stop::Error(text) => text,
            },
        };
        Err(self.fail(step, "the connection closed", got))
    }

    /// Expects nothing at all to come within `wait`: no bytes, no close.
    pub fn expect_silence(&mut self, step: &str, wait: Duration) -> Result<(), Failure> {
        let Some(stream) = self.stream() else {
            let why = self.ended_why();
            return Err(self.fail(step, "silence", format!("nothing: {why}")));
        };
        let mut buf = [0u8; 64];
        // A signal may cut the wait short: wait again for what is left of it.
        let deadline = Instant::now() + wait;
        let result = again_if_interrupted(|| {
            let left = deadline.saturating_duration_since(Instant::now());
            stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            stream.read(&mut buf)
        });
        let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
        let got = match result {
            Ok(0) => format!("the end of the connection: {}", self.ended_why()),
            Ok(n) => show_bytes(&buf[..n]),
            Err(err) => match Stop::from_error(&err) {
                Stop::Silent => return Ok(()),
                Stop::Ended => format!("the end of the connection: {}", self.ended_why()),
                Stop::Error(text) => text,
            },
        };
        Err(self.fail(step, format!("silence for {wait:?}"), got))
    }

    /// Closes our side for writing (a half-close: the program reads
    /// end-of-file, and may still answer).
    pub fn finish_sending(&mut self) {
        if let Some(stream) = self.stream() {
            let _ = stream.shutdown(Shutdown::Write);
        }
    }

    /// Drops the connection at once, as a client that leaves would.
    pub fn hang_up(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// A failure of `step`, with what the program said on stderr.
    pub fn fail(
        &mut self,
        step: &str,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Failure {
        Failure::new(step, expected, got).with_program(self.server)
    }

    /// What `got` was, against the `expected` bytes: the bytes that came,
    /// the first that differs, and why the answer stopped short.
    pub fn describe(&mut self, got: &Received, expected: &[u8]) -> String {
        self.describe_against(got, expected.len(), Some(expected))
    }

    /// What `got` was, when `wanted` bytes of any value were asked for.
    pub fn describe_count(&mut self, got: &Received, wanted: usize) -> String {
        self.describe_against(got, wanted, None)
    }

    fn describe_against(
        &mut self,
        got: &Received,
        wanted: usize,
        expected: Option<&[u8]>,
    ) -> String {
        let mut text = if got.bytes.is_empty() {
            "nothing".to_string()
        } else {
            let mut text = show_bytes(&got.bytes);
            let mut notes = Vec::new();
            if got.stop.is_some() {
                notes.push(format!("{} of {wanted} bytes", got.bytes.len()));
            }
            if let Some(expected) = expected
                && let Some(at) = first_difference(&got.bytes, expected)
            {
                notes.push(format!(
                    "byte {at} differs: expected {}",
                    show_bytes(&expected[at..=at])
                ));
            }
            if !notes.is_empty() {
                text.push_str(&format!(" ({})", notes.join("; ")));
            }
            text
        };
        let empty = got.bytes.is_empty();
        match (&got.stop, empty) {
            (None, _) => {}
            (Some(Stop::Silent), true) => text.push_str(&format!(" within {ANSWER_TIMEOUT:?}")),
            (Some(Stop::Silent), false) => {
                text.push_str(&format!(", then nothing more within {ANSWER_TIMEOUT:?}"));
            }
            (Some(Stop::Ended), _) => {
                let why = self.ended_why();
                let then = if empty { ":" } else { ", then" };
                text.push_str(&format!("{then} {why}"));
            }
            (Some(Stop::Error(err)), _) => text.push_str(&format!(", then an error: {err}")),
        }
        text
    }

    /// Why the connection ended, once the program has settled: it ended
    /// (with its status), or it runs on and closed or refused us.
    pub fn ended_why(&mut self) -> String {
        match self.server.settle(SETTLE) {
            Some(status) => format!("the program ended ({status})"),
            None if self.broken == Some(Broken::Refused) => {
                "the connection was refused".to_string()
            }
            None => "the connection ended".to_string(),
        }
    }
}

/// Why a connection to `server` ended, once the program has settled: "the
/// program ended (exit status: 1)" if it exits, else "the connection
/// ended" ([`ServerProcess::settle`]). For checkers that read with their own
/// reader.
pub fn why_it_ended(server: &ServerProcess) -> String {
    match server.settle(SETTLE) {
        Some(status) => format!("the program ended ({status})"),
        None => "the connection ended".to_string(),
    }
}

/// The first offset where `got` and `expected` differ, within the bytes
/// both have.
fn first_difference(got: &[u8], expected: &[u8]) -> Option<usize> {
    got.iter().zip(expected).position(|(a, b)| a != b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_within_the_shorter() {
        assert_eq!(first_difference(b"7", b"OK"), Some(0));
        assert_eq!(first_difference(b"O", b"OK"), None);
        assert_eq!(first_difference(b"OX", b"OK"), Some(1));
    }

    #[test]
    fn every_way_a_connection_ends_is_one_stop() {
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionRefused,
            ErrorKind::BrokenPipe,
            ErrorKind::ConnectionAborted,
        ] {
            assert_eq!(Stop::from_error(&kind.into()), Stop::Ended, "{kind:?}");
        }
        assert_eq!(Stop::from_error(&ErrorKind::TimedOut.into()), Stop::Silent);
        assert_eq!(
            Stop::from_error(&ErrorKind::WouldBlock.into()),
            Stop::Silent
        );
    }
}
