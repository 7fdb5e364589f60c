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

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::client::Rejected;
use crate::download::Download;
use crate::server::{Server, peer};
use crate::{MAX_FILE_SIZE, send};

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

// ANCHOR: serve_article_client
/// Serves one client of the article's protocol until it leaves.
pub fn serve_article_client(mut stream: TcpStream, server: &Server) -> io::Result<()> {
    let who = peer(&stream);
    loop {
        let Some(message) = read_message(&mut stream, COMMAND_LIMIT)? else {
            return Ok(()); // the client has gone
        };
        if message.len() == COMMAND_LIMIT {
            // One read filled the whole buffer: the command may go on, and
            // what follows would be read as more commands. Say so and stop.
            server.log(&who, "command of 1024 bytes or more: closing");
            let reply = format!("error: command longer than {} bytes", COMMAND_LIMIT - 1);
            return stream.write_all(reply.as_bytes());
        }
        let name = match parse_command(&message) {
            Ok(Command::Get(name)) => name,
            Err(why) => {
                server.log(&who, &format!("bad command: {why}"));
                stream.write_all(format!("error: {why}").as_bytes())?;
                continue;
            }
        };
        let (mut file, meta) = match server.root.open_file(&name) {
            Ok(found) => found,
            Err(refusal) => {
                server.log(&who, &format!("get {name:?}: refused: {refusal}"));
                stream.write_all(format!("error: {refusal}: {name}").as_bytes())?;
                continue;
            }
        };
        let digest = server.digests.digest(&file)?;
        stream.write_all(meta.len().to_string().as_bytes())?;
        if read_message(&mut stream, COMMAND_LIMIT)?.is_none() {
            return Ok(()); // gone before acknowledging
        }
        send::send_file_range(&stream, &mut file, 0, meta.len(), server.method)?;
        stream.write_all(digest.as_bytes())?;
        server.log(&who, &format!("get {name:?}: sent {} bytes", meta.len()));
    }
}
// ANCHOR_END: serve_article_client

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

// ANCHOR: article_get
/// Downloads `name` the article's way into `dir`.
pub fn article_get(
    stream: &mut TcpStream,
    name: &str,
    dir: &Path,
    force: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let mut download = Download::begin(dir, name, force)?;
    download.start_at(0)?; // this protocol cannot resume
    let size = match request_size(stream, name) {
        Ok(size) => size,
        Err(e) => {
            download.discard(); // nothing was received: leave nothing behind
            return Err(e);
        }
    };
    stream.write_all(ACK)?;
    download
        .receive(stream, size, &mut |n| progress(n, size))
        .context("receiving the file")?;
    let mut digest = [0; 32];
    stream
        .read_exact(&mut digest)
        .context("receiving the md5 digest")?;
    download.finish(&String::from_utf8_lossy(&digest))?;
    Ok(size)
}
// ANCHOR_END: article_get

/// Sends `get NAME` and reads the size the server answers.
fn request_size(stream: &mut TcpStream, name: &str) -> Result<u64> {
    stream.write_all(format!("get {name}").as_bytes())?;
    let header = read_message(stream, COMMAND_LIMIT)
        .context("waiting for the size")?
        .context("the server closed the connection instead of sending a size")?;
    parse_size(&header)
}
