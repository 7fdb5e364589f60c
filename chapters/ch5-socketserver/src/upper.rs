//! The article's example: a server that sends back what it gets, upper-cased.
//!
//! Two wire protocols, chosen with [`Protocol`]. The default, lines: a
//! client sends a message and a newline; the answer is the message with the
//! white space at both ends stripped and ASCII letters upper-cased, with no
//! newline (its length is the stripped message's, which the client knows).
//! A blank message gets no answer, so clients do not send one. The
//! article's server strips the newline away, so a client of this protocol
//! works with it too.
//!
//! The article's handler answers whatever one `recv(1024)` returned, and two
//! messages that arrive together come back as one answer (粘包, sticky
//! packets). This handler reads whole lines from `rfile`, so they do not.
//! [`article`] is the article's protocol itself, for the programs of the
//! course that speak it: no newline, one `recv` is one message.

pub mod article;

use std::io::{self, BufRead, ErrorKind, Read, Write};

use crate::handler::Handler;
use crate::request::{Connection, DatagramRequest, DatagramSocket, StreamRequest};

/// The longest message a client may send: a line longer than this is an
/// error, not a reason to buffer without end.
pub const MAX_LINE: usize = 64 * 1024;

// ANCHOR: upper_reply
/// The answer to one message: stripped at both ends as Python's
/// `bytes.strip()` strips, upper-cased (ASCII only, as Python's
/// `bytes.upper()`). Both protocols answer alike; they differ only in where
/// a message ends.
pub fn upper_reply(message: &[u8]) -> Vec<u8> {
    article::answer(message)
}
// ANCHOR_END: upper_reply

// ANCHOR: protocol
/// Where a message on a stream ends. (The doc of each variant is also the
/// `--help` of the programs' `--protocol`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Protocol {
    /// A message ends at a newline, however the bytes arrive: two in one
    /// read are two messages, one in two reads is one message.
    #[default]
    Lines,
    /// The article's: what one read of up to 1024 bytes returns is one
    /// message, with nothing to end it. For the course's Python programs.
    Article,
}
// ANCHOR_END: protocol

/// The upper-casing handler, for stream and datagram transports.
#[derive(Debug, Clone, Default)]
pub struct Upper {
    /// Where a message on a stream ends. A datagram is one message in both
    /// protocols: the transport keeps its edges.
    pub protocol: Protocol,
    /// Print `ADDR wrote: MESSAGE` for each message, as the article does.
    pub verbose: bool,
    /// A message that makes the handler panic: to show that one failing
    /// request does not take the server down. `None` in normal use.
    pub panic_on: Option<String>,
}

impl Upper {
    fn look_at(&self, client: &str, message: &[u8]) {
        let text = String::from_utf8_lossy(article::strip(message));
        if self.verbose {
            println!("{client} wrote: {text}");
        }
        if self.panic_on.as_deref() == Some(&*text) {
            panic!("asked to panic by {client}");
        }
    }
}

// ANCHOR: read_message
/// Reads one line of at most [`MAX_LINE`] bytes into `line`. `Ok(false)` at
/// the end of the stream, and for a last line without its newline: that is
/// a message the client never finished.
pub fn read_message(rfile: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<bool> {
    line.clear();
    let limit = u64::try_from(MAX_LINE).unwrap_or(u64::MAX) + 1;
    rfile.take(limit).read_until(b'\n', line)?;
    if line.len() > MAX_LINE {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("a message longer than {MAX_LINE} bytes"),
        ));
    }
    Ok(line.ends_with(b"\n"))
}
// ANCHOR_END: read_message

// ANCHOR: stream_handle
impl<S: Connection> Handler<StreamRequest<S>> for Upper {
    fn handle(&self, request: &mut StreamRequest<S>) -> io::Result<()> {
        match self.protocol {
            Protocol::Lines => self.answer_lines(request),
            Protocol::Article => self.answer_chunks(request),
        }
    }
}
// ANCHOR_END: stream_handle

impl Upper {
    // ANCHOR: answer_lines
    /// The lines protocol: one answer per line read from `rfile`.
    fn answer_lines<S: Connection>(&self, request: &mut StreamRequest<S>) -> io::Result<()> {
        let mut line = Vec::new();
        // The article's handler loops until `recv` returns b"" (the fix it
        // left commented out); here the loop ends at EOF too, never spins.
        while read_message(&mut request.rfile, &mut line)? {
            self.look_at(&request.client_address, &line);
            request.wfile.write_all(&upper_reply(&line))?;
            // The client waits for this answer: send it now.
            request.wfile.flush()?;
        }
        Ok(())
    }
    // ANCHOR_END: answer_lines

    // ANCHOR: answer_chunks
    /// The article's protocol: one answer per read of the socket itself.
    /// The article's handler is a `BaseRequestHandler` and reads
    /// `self.request`, the raw socket; the socket under `rfile` is that.
    /// Nothing has read through `rfile` yet, so its buffer is empty and no
    /// byte is skipped.
    fn answer_chunks<S: Connection>(&self, request: &mut StreamRequest<S>) -> io::Result<()> {
        let StreamRequest {
            rfile,
            client_address,
            ..
        } = request;
        article::serve_chunks(rfile.get_mut(), |message| {
            self.look_at(client_address, message)
        })
    }
    // ANCHOR_END: answer_chunks
}

// ANCHOR: datagram_handle
impl<D: DatagramSocket> Handler<DatagramRequest<D>> for Upper {
    fn handle(&self, request: &mut DatagramRequest<D>) -> io::Result<()> {
        self.look_at(&D::describe(&request.client_address), &request.packet);
        request.reply = upper_reply(&request.packet);
        Ok(())
    }
}
// ANCHOR_END: datagram_handle

// ANCHOR: round_trip
/// One exchange on a stream, the client's side: sends `message` and a
/// newline, reads the answer, exactly as long as the stripped message.
/// `Ok(None)` for a blank message, which is not sent.
pub fn round_trip(stream: &mut (impl Read + Write), message: &str) -> io::Result<Option<String>> {
    let message = message.trim();
    if message.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(message.len() + 1);
    out.extend_from_slice(message.as_bytes());
    out.push(b'\n');
    stream.write_all(&out)?;
    let mut answer = vec![0; message.len()];
    stream.read_exact(&mut answer)?;
    Ok(Some(String::from_utf8_lossy(&answer).into_owned()))
}
// ANCHOR_END: round_trip
