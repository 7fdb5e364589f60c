//! The article's protocol, byte for byte.
//!
//! ```text
//! client: get NAME            (no newline: one send is one command)
//! server: SIZE                (decimal digits, nothing else)
//! client: OK                  (any bytes: "I have read the size")
//! server: SIZE bytes of the file, then 32 hex digits of its md5
//! ```
//!
//! Nothing marks where a message ends. The command is "whatever one `recv`
//! returns"; the size is kept apart from the data only by the client's
//! acknowledgement; the digest is kept apart from the data only by the
//! client reading exactly SIZE bytes.
//!
//! Where the article's server goes quiet (a missing file) or dies (a
//! malformed command), this one answers with a line that starts with
//! `error: `. That is not a number, so any client of this protocol stops
//! there: the article's own client fails with a `ValueError` that shows
//! the message, ours prints it. Nobody waits forever.
//!
//! This module holds the messages only: reading one, parsing a command,
//! parsing a size. The two programs' halves are
//! [`article_server`](crate::article_server) and
//! [`article_client`](crate::article_client).

use std::io::{self, ErrorKind, Read};

use anyhow::{Context, Result, bail};

use crate::MAX_FILE_SIZE;
use crate::error::Rejected;

/// The article reads a command with `recv(1024)`; so does this server.
pub const COMMAND_LIMIT: usize = 1024;

/// The acknowledgement the article's client sends.
pub const ACK: &[u8] = b"OK";

/// Reads one message the article's way: what one `read` returns, at most
/// `limit` bytes. `None` when the peer has closed the connection.
pub fn read_message(stream: &mut impl Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut buf = vec![0; limit];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(None),
            Ok(n) => {
                buf.truncate(n);
                return Ok(Some(buf));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// A command of the article's protocol, or why it is not one.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// `get NAME`: the name is everything after the first space, spaces
    /// and all (the article's `split()` died on a name with a space).
    Get(String),
}

// ANCHOR: parse_command
/// Parses what one read returned. A trailing newline is allowed, so a
/// person can talk to the server with `nc`.
pub fn parse_command(message: &[u8]) -> Result<Command, String> {
    let text = std::str::from_utf8(message).map_err(|_| "the command is not UTF-8".to_string())?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.trim().is_empty() {
        return Err("empty command".into());
    }
    match text.split_once(' ') {
        Some(("get", name)) if !name.is_empty() => Ok(Command::Get(name.to_string())),
        None if text == "get" => Err("usage: get NAME".into()),
        _ => {
            let word = text.split_whitespace().next().unwrap_or_default();
            Err(format!(
                "unknown command `{}` (try: get NAME)",
                shorten(word)
            ))
        }
    }
}
// ANCHOR_END: parse_command

fn shorten(word: &str) -> String {
    if word.chars().count() > 40 {
        format!("{}...", word.chars().take(40).collect::<String>())
    } else {
        word.to_string()
    }
}

// ANCHOR: parse_size
/// Reads the size header: decimal digits, nothing else, and believable.
pub fn parse_size(header: &[u8]) -> Result<u64> {
    let text = String::from_utf8_lossy(header);
    if let Some(message) = text.strip_prefix("error: ") {
        return Err(Rejected(format!("the server says: {message}")).into());
    }
    if header.is_empty() || !header.iter().all(u8::is_ascii_digit) {
        bail!("the server sent {text:?} where a size in decimal digits belongs");
    }
    let size: u64 = text
        .parse()
        .with_context(|| format!("the size {text} does not fit in 64 bits"))?;
    if size > MAX_FILE_SIZE {
        bail!(
            "the server announced {size} bytes, more than the {MAX_FILE_SIZE} this client accepts"
        );
    }
    Ok(size)
}
// ANCHOR_END: parse_size
