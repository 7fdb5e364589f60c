//! One connection of an event loop: what a thread's stack kept for free.
//!
//! A thread per connection can block in `read_until` and keep its place in
//! the protocol on its stack. An event loop serves thousands of connections
//! on one thread, so it cannot block on any of them: each connection's place
//! becomes data, kept between events:
//!
//! - `inbox`: bytes received that do not yet make a whole line (one line
//!   may arrive in many reads, many lines in one read: 粘包);
//! - `outbox`: answers not yet written (a write may take only part of them);
//! - whether the peer has finished sending.
//!
//! [`Connection::pump`] is the whole state machine: it works on any
//! non-blocking `Read + Write`, so the `poll(2)` loop and the `mio` loop
//! share it, and a unit test can drive it with a fake socket.

use std::io::{self, ErrorKind, Read, Write};

use ch5_socketserver::upper::{MAX_LINE, upper_reply};

// ANCHOR: caps
/// Backpressure: above this many unwritten answer bytes, the loop stops
/// reading from the connection until the client has taken some. A client
/// that sends and never reads then fills the kernel's buffers and is made to
/// wait by TCP's flow control, and the server holds at most about this much
/// for it, not everything it sends.
pub const WRITE_CAP: usize = 64 * 1024;

/// How much one `read` asks for. The scratch buffer is the loop's, shared
/// by all connections: an idle connection holds no buffer at all.
pub const READ_CHUNK: usize = 16 * 1024;
// ANCHOR_END: caps

// ANCHOR: connection
/// A connection's state between events.
#[derive(Debug, Default)]
pub struct Connection {
    /// Received bytes after the last newline: the start of a line.
    inbox: Vec<u8>,
    /// Answers waiting to be written; `outbox[written..]` is still owed.
    outbox: Vec<u8>,
    written: usize,
    /// The peer sent EOF, or the server stopped reading (shutdown).
    read_closed: bool,
}
// ANCHOR_END: connection

/// What a [`Connection::pump`] left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pumped {
    /// Waiting for the socket: readable, writable, or both.
    Open,
    /// Everything owed is written and nothing more will be read: close it.
    Done,
}

impl Connection {
    /// A new connection with nothing received and nothing owed.
    pub fn new() -> Self {
        Self::default()
    }

    // ANCHOR: receive
    /// Takes bytes as they came from one `read`: completes the pending line,
    /// answers every whole line, keeps the rest for the next read.
    pub fn receive(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut rest = bytes;
        while let Some(newline) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(newline + 1);
            if self.inbox.is_empty() {
                self.answer(line); // the common case: no copy
            } else {
                self.inbox.extend_from_slice(line);
                let whole = std::mem::take(&mut self.inbox);
                self.answer(&whole);
            }
            rest = after;
        }
        if self.inbox.len() + rest.len() > MAX_LINE {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("a line longer than {MAX_LINE} bytes"),
            ));
        }
        self.inbox.extend_from_slice(rest);
        Ok(())
    }

    /// Queues the answer to one whole line (a blank line has none).
    fn answer(&mut self, line: &[u8]) {
        self.outbox.extend_from_slice(&upper_reply(line));
    }
    // ANCHOR_END: receive

    /// Unwritten answer bytes.
    pub fn owed(&self) -> usize {
        self.outbox.len() - self.written
    }

    /// Bytes of a line received but not finished.
    pub fn pending_line(&self) -> usize {
        self.inbox.len()
    }

    // ANCHOR: wants
    /// Should the loop read from this connection now? Not after EOF, and
    /// not while it owes more than [`WRITE_CAP`]: that is backpressure.
    pub fn wants_read(&self) -> bool {
        !self.read_closed && self.owed() <= WRITE_CAP
    }

    /// Should the loop wait until the socket can take more bytes?
    pub fn wants_write(&self) -> bool {
        self.owed() > 0
    }
    // ANCHOR_END: wants

    /// Stops reading (for a graceful shutdown): what was received is still
    /// answered; a line without its newline never will be.
    pub fn stop_reading(&mut self) {
        self.read_closed = true;
    }

    // ANCHOR: flush
    /// Writes what is owed until it is all written or the socket is full
    /// (`WouldBlock`): a write may take only part of what it is given.
    pub fn flush(&mut self, socket: &mut impl Write) -> io::Result<()> {
        while self.written < self.outbox.len() {
            match socket.write(&self.outbox[self.written..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // All written: start the buffer over, and give back a big one.
        self.outbox.clear();
        self.written = 0;
        if self.outbox.capacity() > 2 * WRITE_CAP {
            self.outbox = Vec::new();
        }
        Ok(())
    }
    // ANCHOR_END: flush

    // ANCHOR: pump
    /// Does everything the socket allows now: writes what is owed, reads
    /// and answers, again and again, until the socket would block, the
    /// connection owes too much (backpressure), or the peer has finished.
    ///
    /// Edge-triggered readiness (`mio` on epoll) reports a change once, so
    /// this must not stop while the socket could still make progress: it
    /// stops only at `WouldBlock` (a new event will come), or when over the
    /// cap after a flush hit `WouldBlock` (a writable event will come, and
    /// this runs again and reads on), or after a read shorter than asked
    /// (the socket was empty then; tokio makes the same bet). `scratch` is
    /// the loop's read buffer.
    pub fn pump(
        &mut self,
        socket: &mut (impl Read + Write),
        scratch: &mut [u8],
    ) -> io::Result<Pumped> {
        loop {
            self.flush(socket)?;
            if !self.wants_read() {
                break;
            }
            match socket.read(scratch) {
                Ok(0) => self.read_closed = true, // EOF: answer what came, then close
                Ok(n) if n < scratch.len() => {
                    // Less than asked: the socket was empty at that moment,
                    // and bytes that come later bring a new event. Answer,
                    // write, and skip the read that would say `WouldBlock`.
                    self.receive(&scratch[..n])?;
                    self.flush(socket)?;
                    break;
                }
                Ok(n) => self.receive(&scratch[..n])?,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.read_closed && self.owed() == 0 {
            Ok(Pumped::Done)
        } else {
            Ok(Pumped::Open)
        }
    }
    // ANCHOR_END: pump

    // ANCHOR: finish
    /// The start of a graceful shutdown for this connection: reads and
    /// answers what has already arrived, then reads no more. Returns
    /// `Done` when nothing is owed; otherwise the loop keeps writing.
    pub fn finish(
        &mut self,
        socket: &mut (impl Read + Write),
        scratch: &mut [u8],
    ) -> io::Result<Pumped> {
        self.pump(socket, scratch)?;
        self.stop_reading();
        self.pump(socket, scratch)
    }
    // ANCHOR_END: finish
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A fake non-blocking socket: reads come in the given pieces, writes
    /// take at most `take` bytes, then `WouldBlock`.
    struct Fake {
        reads: VecDeque<Vec<u8>>,
        eof: bool,
        take: usize,
        written: Vec<u8>,
        /// Calls of `read`, as a system call counter would count them.
        read_calls: usize,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.read_calls += 1;
            match self.reads.pop_front() {
                Some(piece) => {
                    buf[..piece.len()].copy_from_slice(&piece);
                    Ok(piece.len())
                }
                None if self.eof => Ok(0),
                None => Err(ErrorKind::WouldBlock.into()),
            }
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.take == 0 {
                return Err(ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.take);
            self.take -= n;
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// Pumps as a loop would, an event at a time, while the fake has bytes
    /// to read and the connection wants them.
    fn events(c: &mut Connection, s: &mut Fake, scratch: &mut [u8]) -> Pumped {
        let mut last = c.pump(s, scratch).unwrap();
        for _ in 0..1000 {
            if s.reads.is_empty() && !s.eof || !c.wants_read() || last == Pumped::Done {
                break;
            }
            last = c.pump(s, scratch).unwrap();
        }
        last
    }

    fn fake(pieces: &[&[u8]], take: usize) -> Fake {
        Fake {
            reads: pieces.iter().map(|p| p.to_vec()).collect(),
            eof: false,
            take,
            written: Vec::new(),
            read_calls: 0,
        }
    }

    #[test]
    fn a_line_split_across_reads_is_answered_once_whole() {
        let mut c = Connection::new();
        let mut s = fake(&[b"he", b"l", b"lo\n"], usize::MAX);
        let mut scratch = [0; 64];
        assert_eq!(events(&mut c, &mut s, &mut scratch), Pumped::Open);
        assert_eq!(s.written, b"HELLO");
    }

    #[test]
    fn several_lines_in_one_read_get_several_answers() {
        let mut c = Connection::new();
        let mut s = fake(&[b"a\n  b \n\nc"], usize::MAX);
        let mut scratch = [0; 64];
        events(&mut c, &mut s, &mut scratch);
        assert_eq!(s.written, b"AB");
        assert_eq!(c.pending_line(), 1);
    }

    #[test]
    fn a_partial_write_keeps_the_rest_for_later() {
        let mut c = Connection::new();
        let mut s = fake(&[b"abcdef\n"], 4);
        let mut scratch = [0; 64];
        events(&mut c, &mut s, &mut scratch);
        assert_eq!(s.written, b"ABCD");
        assert!(c.wants_write());
        s.take = usize::MAX;
        events(&mut c, &mut s, &mut scratch);
        assert_eq!(s.written, b"ABCDEF");
        assert!(!c.wants_write());
    }

    #[test]
    fn over_the_cap_it_stops_reading() {
        let mut c = Connection::new();
        let line = vec![b'x'; 1000];
        let mut piece = line.clone();
        piece.push(b'\n');
        let pieces: Vec<&[u8]> = (0..200).map(|_| piece.as_slice()).collect();
        let mut s = fake(&pieces, 0); // a client that never reads
        let mut scratch = [0; 2048];
        events(&mut c, &mut s, &mut scratch);
        assert!(!c.wants_read());
        assert!(c.owed() <= WRITE_CAP + 2048);
        assert!(!s.reads.is_empty(), "the rest stays in the socket");
    }

    #[test]
    fn a_round_trip_costs_one_read_not_a_second_that_would_block() {
        // One line, shorter than the scratch buffer: the socket was empty
        // after it, so `pump` answers without asking again (a second read
        // would only say `WouldBlock`), as a round trip on loopback goes.
        let mut c = Connection::new();
        let mut s = fake(&[b"hello\n"], usize::MAX);
        let mut scratch = [0; 64];
        assert_eq!(c.pump(&mut s, &mut scratch).unwrap(), Pumped::Open);
        assert_eq!((s.read_calls, s.written.as_slice()), (1, &b"HELLO"[..]));
        // A read that fills the buffer may have left more: read on.
        let mut c = Connection::new();
        let mut s = fake(&[b"0123456\n", b"abc\n"], usize::MAX);
        let mut scratch = [0; 8];
        c.pump(&mut s, &mut scratch).unwrap();
        assert_eq!(
            (s.read_calls, s.written.as_slice()),
            (2, &b"0123456ABC"[..])
        );
    }

    #[test]
    fn eof_answers_what_came_then_is_done() {
        let mut c = Connection::new();
        let mut s = fake(&[b"last\nunfinished"], usize::MAX);
        s.eof = true;
        let mut scratch = [0; 64];
        assert_eq!(events(&mut c, &mut s, &mut scratch), Pumped::Done);
        assert_eq!(s.written, b"LAST");
    }

    #[test]
    fn an_endless_line_is_an_error() {
        let mut c = Connection::new();
        let big = vec![b'x'; MAX_LINE + 1];
        assert!(c.receive(&big).is_err());
    }
}
