//! The article's protocol, byte for byte: one `recv(1024)` is one message.
//!
//! The article's handler loops on `self.request.recv(1024).strip()` and
//! sends back `self.data.upper()`. It has no idea of where a message ends:
//! whatever one `recv` returned is the message. A client written the same
//! way sends a message with no newline and takes what one `recv(1024)`
//! brings as the answer. This module speaks that protocol on both sides, so
//! the Rust programs and the course's Python programs can talk to each
//! other without a byte of difference on the wire.
//!
//! It is here for that interop only. TCP carries bytes, not sends, so a
//! `recv` can return two messages glued together, or half of one (粘包,
//! sticky packets, chapter 3): the lines protocol of [`crate::upper`] marks
//! the end of each message with a newline and does not depend on luck.
//!
//! This module needs nothing from the rest of the crate: the handler in
//! [`crate::upper`] uses it, never the other way round.

use std::io::{self, ErrorKind, Read, Write};

/// The size of the article's `recv`: the most one message can be.
pub const RECV_SIZE: usize = 1024;

// ANCHOR: strip
/// Python's `bytes.strip()` with no argument: the ASCII white space at both
/// ends. That is space, `\t`, `\n`, `\r`, form feed `\x0c` and vertical tab
/// `\x0b`. Rust's `trim_ascii` keeps the vertical tab (it follows the
/// WHATWG definition), so it is not quite Python's `strip`.
pub fn strip(bytes: &[u8]) -> &[u8] {
    let white = |b: &u8| b" \t\n\r\x0b\x0c".contains(b);
    let start = bytes.iter().position(|b| !white(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !white(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The answer to one message, as the article's `self.data.upper()` makes
/// it from the stripped bytes: ASCII letters upper-cased, every other byte
/// (UTF-8 or not) left as it is, exactly like Python's `bytes.upper()`.
pub fn answer(message: &[u8]) -> Vec<u8> {
    strip(message).to_ascii_uppercase()
}
// ANCHOR_END: strip

// ANCHOR: serve_chunks
/// The article's handler on one connection: each read of up to
/// [`RECV_SIZE`] bytes is one message, answered at once with [`answer`].
/// `seen` is shown each stripped message first (to print it, as the
/// article's handler does).
///
/// A read of 0 bytes is the end of the stream: the client closed, and the
/// connection ends. (The article left that test commented out, and its
/// handler then spins on the closed socket.) A message of white space only
/// strips to nothing: the answer is 0 bytes, so nothing is sent, and the
/// connection stays open, as in the article's handler as printed.
///
/// `socket` must be the connection itself, not a buffered reader over it:
/// a `BufReader` reads up to 8 KiB at a time and hands them out in pieces,
/// so "one read" would no longer be one `recv` on the socket.
pub fn serve_chunks(
    socket: &mut (impl Read + Write),
    mut seen: impl FnMut(&[u8]),
) -> io::Result<()> {
    let mut chunk = [0; RECV_SIZE];
    loop {
        let n = match socket.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        seen(strip(&chunk[..n]));
        socket.write_all(&answer(&chunk[..n]))?;
    }
}
// ANCHOR_END: serve_chunks

// ANCHOR: round_trip
/// One exchange the article's way, the client's side: sends the message,
/// stripped, with nothing after it, and returns what one read of up to
/// [`RECV_SIZE`] bytes brings back. `Ok(None)` for a blank message, which
/// is not sent (the article's clients skip it too).
///
/// The answer is whatever had arrived: for a message longer than 1024
/// bytes it is only the first part, and the rest is taken for the answer to
/// the next message. The protocol has no way to tell.
pub fn round_trip(stream: &mut (impl Read + Write), message: &str) -> io::Result<Option<Vec<u8>>> {
    let message = message.trim();
    if message.is_empty() {
        return Ok(None);
    }
    stream.write_all(message.as_bytes())?;
    let mut answer = vec![0; RECV_SIZE];
    let n = loop {
        match stream.read(&mut answer) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => break other?,
        }
    };
    if n == 0 {
        return Err(ErrorKind::UnexpectedEof.into());
    }
    answer.truncate(n);
    Ok(Some(answer))
}
// ANCHOR_END: round_trip

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_takes_what_python_strips_and_nothing_else() {
        assert_eq!(
            strip(b" \t\n\r\x0b\x0chi there\x0b\x0c\r\n\t "),
            b"hi there"
        );
        assert_eq!(strip(b" \x0b "), b"");
        assert_eq!(strip(b""), b"");
        // Not white space to Python's bytes.strip(): NUL, \x1c..\x1f, NBSP.
        assert_eq!(strip(b"\x00a\x1f"), b"\x00a\x1f");
        assert_eq!(strip(b"\xa0a\xc2\xa0"), b"\xa0a\xc2\xa0");
    }

    #[test]
    fn answer_upper_cases_ascii_only() {
        assert_eq!(
            answer(b"  caf\xc3\xa9 \xff\xfeok\n"),
            b"CAF\xc3\xa9 \xff\xfeOK"
        );
    }

    /// A socket stand-in: reads come from a list of chunks, one a read.
    struct Chunks {
        reads: Vec<Vec<u8>>,
        written: Vec<u8>,
    }

    impl Read for Chunks {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.reads.is_empty() {
                return Ok(0);
            }
            let chunk = self.reads.remove(0);
            assert!(chunk.len() <= buf.len(), "a read of {} bytes", buf.len());
            buf[..chunk.len()].copy_from_slice(&chunk);
            Ok(chunk.len())
        }
    }

    impl Write for Chunks {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_read_is_one_message_until_a_read_of_nothing() {
        let mut socket = Chunks {
            reads: vec![b"ab\ncd\n".to_vec(), b"   ".to_vec(), b" x ".to_vec()],
            written: Vec::new(),
        };
        let mut seen = Vec::new();
        serve_chunks(&mut socket, |m| seen.push(m.to_vec())).unwrap();
        assert_eq!(socket.written, b"AB\nCDX");
        assert_eq!(seen, [b"ab\ncd".to_vec(), b"".to_vec(), b"x".to_vec()]);
    }
}
