//! The article's protocol, byte for byte.
//!
//! ```text
//! client                                   server
//!   | -- command, e.g. "ls" (one send) ------> |   runs it, result R
//!   | <------- len(R) in decimal, e.g. "1680" --|
//!   | -- "OK" (the acknowledgement) ----------> |
//!   | <-------------------------- R (1680 bytes)|
//! ```
//!
//! There are no delimiters anywhere: each side reads a message with one
//! `recv(1024)` and trusts that it got exactly one message. The result is the
//! exception, read in a loop until the announced number of bytes is in. The
//! acknowledgement is what makes the one-read trust hold for the size: the
//! server sends nothing after the size until the client has answered, so the
//! size cannot arrive glued to the result (see [`crate::sticky`]). An empty
//! result is replaced by [`EMPTY_RESULT`], "this command is wrong", because a
//! size of zero followed by nothing would look the same as a bad command to
//! the article's client anyway.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::deadline::{self, Deadline};

/// What the server sends when a command printed nothing: "this command is
/// wrong". The article's server does the same; so does ours, to be
/// interchangeable with it.
pub const EMPTY_RESULT: &str = "这条命令错误";

/// The acknowledgement the article's client sends after the size.
pub const ACK: &[u8] = b"OK";

/// How much one read asks for: the article's `recv(1024)`.
pub const RECV_SIZE: usize = 1024;

/// The largest result a client accepts unless told otherwise: 64 MiB.
pub const DEFAULT_MAX_RESULT: u64 = 64 * 1024 * 1024;

/// The prompt and the two lines the article's client prints, in its words:
/// "enter a command:", "size of the command's result:", and "actual size of
/// the command's result:".
pub const PROMPT: &str = "输入指令:";
/// See [`PROMPT`].
pub const ANNOUNCED_LABEL: &str = "命令结果大小:";
/// See [`PROMPT`].
pub const RECEIVED_LABEL: &str = "命令结果实际大小:";

/// Reads the size the server announced and checks it.
///
/// The article's client does `int(client.recv(1024).decode())` and believes
/// it. We accept only plain decimal digits, and refuse a size over `max`
/// before reserving any memory for it: a broken or hostile server must not be
/// able to make the client allocate a terabyte.
// ANCHOR: parse_size
pub fn parse_size(header: &[u8], max: u64) -> Result<u64> {
    let text = String::from_utf8_lossy(header);
    if text.starts_with('-') {
        bail!("the server announced a negative size ({text:?})");
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("the server announced {text:?}, which is not a size (decimal digits)");
    }
    match text.parse::<u64>() {
        Ok(size) if size <= max => Ok(size),
        _ => bail!(
            "the server announced {text} bytes, over the limit of {max} bytes (see --max-result)"
        ),
    }
}
// ANCHOR_END: parse_size

/// Receives exactly `size` bytes: the article's
/// `while receive_size < length: data = client.recv(1024) ...` loop.
///
/// One `recv` returns whatever has arrived, from one byte up to the size
/// asked for, so a single call is not enough for anything but tiny results.
/// Unlike the article, this never asks for more than is still missing, so it
/// cannot swallow bytes that belong to the next message, and it grows the
/// buffer as data arrives instead of trusting `size` up front. A connection
/// that closes early is an error that says how far it got.
// ANCHOR: recv_exact
pub fn recv_exact(stream: &mut impl Read, size: u64) -> Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut buf = [0u8; RECV_SIZE];
    while (received.len() as u64) < size {
        let missing = size - received.len() as u64;
        let want = buf
            .len()
            .min(usize::try_from(missing).unwrap_or(usize::MAX));
        let n = stream
            .read(&mut buf[..want])
            .context("cannot receive the result")?;
        if n == 0 {
            bail!(
                "the server closed the connection after {} of {size} bytes",
                received.len()
            );
        }
        received.extend_from_slice(&buf[..n]);
    }
    Ok(received)
}
// ANCHOR_END: recv_exact

/// A reply to one command, as the article's client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The size the server announced.
    pub announced: u64,
    /// The result itself.
    pub result: Vec<u8>,
}

/// The client's side of one exchange: send the command, read the size,
/// acknowledge, receive the result.
// ANCHOR: request
pub fn request(stream: &mut TcpStream, command: &str, max: u64) -> Result<Reply> {
    if command.len() > MAX_COMMAND {
        bail!(
            "the command is {} bytes; the article's protocol carries at most {MAX_COMMAND} \
             (the server reads one recv(1024)); nothing was sent",
            command.len()
        );
    }
    stream
        .write_all(command.as_bytes())
        .context("cannot send the command")?;
    let mut header = [0u8; RECV_SIZE];
    let n = stream
        .read(&mut header)
        .context("cannot receive the size")?;
    if n == 0 {
        bail!("the server closed the connection instead of answering");
    }
    let announced = parse_size(&header[..n], max)?;
    stream
        .write_all(ACK)
        .context("cannot send the acknowledgement")?;
    let result = recv_exact(stream, announced)?;
    Ok(Reply { announced, result })
}
// ANCHOR_END: request

/// The server's side of one exchange, after the command has run: send the
/// size, wait for the acknowledgement, send the result.
///
/// Returns an error when the client vanished before acknowledging.
// ANCHOR: reply
pub fn send_result(
    stream: &mut TcpStream,
    mut result: Vec<u8>,
    ack_timeout: Duration,
) -> io::Result<()> {
    if result.is_empty() {
        result = EMPTY_RESULT.as_bytes().to_vec();
    }
    stream.write_all(result.len().to_string().as_bytes())?;
    // The result waits in memory until the "OK": not for ever.
    stream.set_read_timeout(Some(ack_timeout))?;
    let mut ack = [0u8; RECV_SIZE];
    let read = stream.read(&mut ack);
    stream.set_read_timeout(None)?;
    match read {
        Ok(0) => {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the client left before acknowledging the size",
            ));
        }
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no acknowledgement of the size within {ack_timeout:?}"),
            ));
        }
        Err(e) => return Err(e),
    }
    // And until the client has taken it: not for ever either.
    let mut by = Deadline::new(stream, Instant::now() + ack_timeout);
    by.write_all(&result).map_err(|e| {
        if !deadline::has_passed(&e) {
            return e;
        }
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("the client did not take the result within {ack_timeout:?}"),
        )
    })
}
// ANCHOR_END: reply

/// The most of a command's output the article's server holds, unless
/// `--article-max-output` says otherwise. The protocol
/// sends the size before the result, so the whole result waits in memory
/// until the command has ended and the client has said "OK"; a cap of
/// 64 MiB per connection would let 64 clients pin 4 GiB. (The framed
/// protocol streams, and keeps the larger `--max-output`.)
pub const MAX_RESULT_HELD: u64 = 4 * 1024 * 1024;

/// The longest command the article's protocol carries: one byte less than
/// its `recv(1024)`. A read that fills the whole buffer cannot tell whether
/// the command went on, and the next read would take the rest as a command
/// of its own (粘包, with a security cost: the tail would run).
pub const MAX_COMMAND: usize = RECV_SIZE - 1;

/// What one read of a command brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A command of at most [`MAX_COMMAND`] bytes.
    Command(String),
    /// A read that filled the buffer: refused, never run in pieces.
    TooLong,
    /// The client closed the connection.
    Closed,
}

/// The refusal the server sends, as a result, for [`Incoming::TooLong`].
pub const TOO_LONG: &str =
    "error: command of 1024 bytes or more (the article's protocol reads one recv(1024)); closing";

// ANCHOR: receive_command
/// Reads the next command: one `recv(1024)`, as the article does, but a
/// read that fills all 1024 bytes is [`Incoming::TooLong`].
pub fn receive_command(stream: &mut impl Read) -> io::Result<Incoming> {
    let mut buf = [0u8; RECV_SIZE];
    let n = stream.read(&mut buf)?;
    Ok(match n {
        0 => Incoming::Closed,
        RECV_SIZE => Incoming::TooLong,
        n => Incoming::Command(String::from_utf8_lossy(&buf[..n]).into_owned()),
    })
}
// ANCHOR_END: receive_command

/// The next line of input without its line ending, or `None` at the end.
/// Like Python's `input()`: the line's own spaces are kept.
pub fn next_command(input: &mut impl io::BufRead) -> Result<Option<String>> {
    let mut line = String::new();
    if input
        .read_line(&mut line)
        .context("cannot read a command")?
        == 0
    {
        return Ok(None);
    }
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(Some(trimmed.to_string()))
}

/// The client's interactive loop in the article's protocol: a prompt, one
/// command a line, the announced size, the received size, the result.
pub fn interact(
    stream: &mut TcpStream,
    input: &mut impl io::BufRead,
    out: &mut impl Write,
    max: u64,
) -> Result<()> {
    loop {
        write!(out, "{PROMPT}")?;
        out.flush()?;
        let Some(command) = next_command(input)? else {
            return Ok(());
        };
        if command.is_empty() {
            continue; // the article's client skips an empty line too
        }
        let reply = request(stream, &command, max)?;
        writeln!(out, "{ANNOUNCED_LABEL} {}", reply.announced)?;
        writeln!(out, "{RECEIVED_LABEL} {}", reply.result.len())?;
        out.write_all(&reply.result)?;
        writeln!(out)?;
        out.flush()?;
    }
}

/// Connects for the article's protocol.
pub fn connect(addr: &str) -> Result<TcpStream> {
    TcpStream::connect(addr).map_err(|e| anyhow!("cannot connect to {addr}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_plain_decimal_numbers_under_the_limit() {
        assert_eq!(parse_size(b"1680", 10_000).unwrap(), 1680);
        assert_eq!(parse_size(b"0", 10).unwrap(), 0);
        let err = |h: &[u8]| parse_size(h, 1000).unwrap_err().to_string();
        assert!(err(b"abc").contains("not a size"));
        assert!(err(b"").contains("not a size"));
        assert!(err(b"12 ").contains("not a size"));
        assert!(err(b"-5").contains("negative"));
        assert!(err(b"1001").contains("over the limit of 1000"));
        assert!(err(b"99999999999999999999999999").contains("over the limit"));
    }

    #[test]
    fn recv_exact_stops_at_the_size_and_reports_a_short_stream() {
        let mut wire: &[u8] = b"hello, worldNEXT";
        assert_eq!(recv_exact(&mut wire, 12).unwrap(), b"hello, world");
        assert_eq!(wire, b"NEXT", "the next message is left alone");
        let err = recv_exact(&mut &b"abc"[..], 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server closed the connection after 3 of 10 bytes"
        );
    }
}
