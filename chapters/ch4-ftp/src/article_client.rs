//! The article's protocol, the client's half: send `get NAME`, read the
//! size, acknowledge, receive exactly that many bytes, then the digest.
//!
//! The messages are [`crate::article`]'s; the bytes land through a
//! [`Download`], under their final name only if the digest matches.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use anyhow::{Context, Result};

use crate::article::{ACK, COMMAND_LIMIT, parse_size, read_message};
use crate::digest::HashKind;
use crate::download::Download;

// ANCHOR: article_get
/// Downloads `name` the article's way into `dir`.
pub fn article_get(
    stream: &mut TcpStream,
    name: &str,
    dir: &Path,
    force: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let mut download = Download::begin(dir, name, force, HashKind::Md5)?;
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
