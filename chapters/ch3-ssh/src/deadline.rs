//! Deadlines: how long a client may take to send something, in total.
//!
//! A read timeout (`set_read_timeout`, Python's `settimeout`) bounds *one*
//! read, and a read returns as soon as a single byte has arrived. A client
//! that sends a frame one byte every few seconds never trips it, yet holds
//! its connection, and its place among the server's clients, for as long as
//! it likes. A deadline bounds the whole: before each read, the timeout is
//! set to the time that is *left*, so the last byte of a message must arrive
//! by the same instant as the first, however the bytes are spread out.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A connection's reads, all of which must be done by one instant.
///
/// Read a frame through it (`read_frame(&mut Deadline::new(&stream, at))`)
/// and the frame must be whole by `at`. A read that would end later fails
/// with [`io::ErrorKind::TimedOut`]. Dropping it leaves the stream with no
/// read timeout, as it was.
// ANCHOR: deadline
#[derive(Debug)]
pub struct Deadline<'a> {
    stream: &'a TcpStream,
    at: Instant,
}

impl<'a> Deadline<'a> {
    /// Reads from `stream` that must be done by `at`.
    pub fn new(stream: &'a TcpStream, at: Instant) -> Self {
        Deadline { stream, at }
    }

    /// Like `TcpStream::peek` (look at what has arrived, leave it in the
    /// socket), waiting at most until the deadline.
    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.time_left()?))?;
        self.stream.peek(buf).map_err(passed_if_timed_out)
    }

    /// The time left, or the error that says there is none.
    fn time_left(&self) -> io::Result<Duration> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(passed());
        }
        Ok(left)
    }
}

impl Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Not the same timeout for every read: the time left until `at`.
        self.stream.set_read_timeout(Some(self.time_left()?))?;
        self.stream.read(buf).map_err(passed_if_timed_out)
    }
}
// ANCHOR_END: deadline

/// Writes through a deadline must be done by it too: a client that stops
/// reading fills the socket's buffers, and a write would then wait for it
/// for ever.
impl Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.time_left()?))?;
        let mut stream = self.stream;
        stream.write(buf).map_err(passed_if_timed_out)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Deadline<'_> {
    fn drop(&mut self) {
        let _ = self.stream.set_read_timeout(None);
        let _ = self.stream.set_write_timeout(None);
    }
}

/// Is this the error of a deadline that passed?
pub fn has_passed(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::TimedOut
}

/// A read that timed out reports "would block" on Unix and "timed out" on
/// Windows: both mean the deadline passed.
fn passed_if_timed_out(err: io::Error) -> io::Error {
    match err.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => passed(),
        _ => err,
    }
}

fn passed() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the deadline passed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn bytes_that_arrive_in_time_are_read() {
        let (mut client, server) = pair();
        client.write_all(b"hello").unwrap();
        let mut by = Deadline::new(&server, Instant::now() + Duration::from_secs(20));
        let mut buf = [0u8; 5];
        by.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hello");
    }

    #[test]
    fn a_trickle_does_not_move_the_deadline() {
        let (mut client, server) = pair();
        let limit = Duration::from_millis(500);
        let started = Instant::now();
        // One byte every 100 ms: each read gets a byte well within any
        // per-read timeout of 500 ms, but 50 bytes take 5 s.
        let trickle = thread::spawn(move || {
            for _ in 0..50 {
                if client.write_all(b"x").is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100));
            }
        });
        let mut by = Deadline::new(&server, started + limit);
        let mut buf = [0u8; 50];
        let err = by.read_exact(&mut buf).unwrap_err();
        assert!(has_passed(&err), "{err}");
        assert!(started.elapsed() >= limit);
        drop(by);
        drop(server);
        trickle.join().unwrap();
    }

    #[test]
    fn a_peer_that_reads_nothing_fails_a_write_at_the_deadline() {
        let (_client, server) = pair();
        let limit = Duration::from_millis(300);
        let started = Instant::now();
        let mut by = Deadline::new(&server, started + limit);
        // More than any socket buffer holds: the write must wait, and stop.
        let err = by.write_all(&vec![0u8; 64 << 20]).unwrap_err();
        assert!(has_passed(&err), "{err}");
        assert!(started.elapsed() >= limit);
        drop(by);
        assert_eq!(server.write_timeout().unwrap(), None, "reset on drop");
    }

    #[test]
    fn a_deadline_in_the_past_fails_at_once_and_peek_obeys_it_too() {
        let (_client, server) = pair();
        let mut by = Deadline::new(&server, Instant::now());
        assert!(has_passed(&by.read(&mut [0u8; 1]).unwrap_err()));
        assert!(has_passed(&by.peek(&mut [0u8; 1]).unwrap_err()));
        drop(by);
        assert_eq!(server.read_timeout().unwrap(), None, "reset on drop");
    }
}
