//! Sending a file's bytes: three ways.
//!
//! - [`SendMethod::ReadWrite`]: the classic loop, `read` into a buffer in
//!   our memory, `write` it to the socket. Every byte crosses into user
//!   space and back: two copies and two system calls per chunk.
//! - [`SendMethod::Sendfile`]: `sendfile(2)` asks the kernel to move bytes
//!   from the file's page cache to the socket itself: no user-space buffer,
//!   one system call per (large) chunk. socket2 exposes it as
//!   `Socket::sendfile`.
//! - [`SendMethod::StdCopy`]: `std::io::copy`, which on Linux uses kernel
//!   copies for some pairs of file descriptors; measure it, don't assume.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;
use std::num::NonZeroUsize;
use std::str::FromStr;

use socket2::SockRef;

use crate::CHUNK;

/// How the server moves a file's bytes to the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendMethod {
    /// `sendfile(2)`, falling back to the loop where the OS refuses it.
    #[default]
    Sendfile,
    /// A read/write loop through a buffer.
    ReadWrite,
    /// `std::io::copy`.
    StdCopy,
}

impl FromStr for SendMethod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sendfile" => Ok(SendMethod::Sendfile),
            "read-write" => Ok(SendMethod::ReadWrite),
            "std-copy" => Ok(SendMethod::StdCopy),
            _ => Err(format!(
                "unknown send method `{s}` (sendfile, read-write, std-copy)"
            )),
        }
    }
}

/// Sends `len` bytes of `file`, starting at `offset`, to `socket`.
pub fn send_file_range(
    socket: &TcpStream,
    file: &mut File,
    offset: u64,
    len: u64,
    method: SendMethod,
) -> io::Result<()> {
    match method {
        SendMethod::Sendfile => send_with_sendfile(socket, file, offset, len),
        SendMethod::ReadWrite => send_with_loop(socket, file, offset, len),
        SendMethod::StdCopy => {
            file.seek(SeekFrom::Start(offset))?;
            let copied = io::copy(&mut file.take(len), &mut &*socket)?;
            expect_all(copied, len)
        }
    }
}

// ANCHOR: sendfile
/// Sends with `sendfile(2)`: the kernel copies from the page cache to the
/// socket, our process never touches the bytes. A call may send fewer bytes
/// than asked (like `write`), so loop; 0 means the file got shorter.
fn send_with_sendfile(socket: &TcpStream, file: &File, offset: u64, len: u64) -> io::Result<()> {
    let socket = SockRef::from(socket);
    let mut sent = 0u64;
    while sent < len {
        let ask = (len - sent).min(1 << 30) as usize;
        let position = usize::try_from(offset + sent).map_err(io::Error::other)?;
        match socket.sendfile(file, position, NonZeroUsize::new(ask)) {
            Ok(0) => return expect_all(sent, len),
            Ok(n) => sent += n as u64,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Not every file system or kernel supports it: fall back.
            Err(e) if sent == 0 && is_unsupported(&e) => {
                let mut file = file.try_clone()?;
                return send_with_loop(&socket_stream(&socket)?, &mut file, offset, len);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
// ANCHOR_END: sendfile

fn socket_stream(socket: &SockRef<'_>) -> io::Result<TcpStream> {
    Ok(socket.try_clone()?.into())
}

fn is_unsupported(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

// ANCHOR: read_write
/// Sends with a read/write loop through one buffer of [`CHUNK`] bytes.
fn send_with_loop(socket: &TcpStream, file: &mut File, offset: u64, len: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0; CHUNK];
    let mut sent = 0u64;
    let mut out = socket;
    while sent < len {
        let want = buf.len().min((len - sent) as usize);
        let n = match file.read(&mut buf[..want]) {
            Ok(0) => return expect_all(sent, len),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        out.write_all(&buf[..n])?;
        sent += n as u64;
    }
    Ok(())
}
// ANCHOR_END: read_write

fn expect_all(sent: u64, len: u64) -> io::Result<()> {
    if sent == len {
        Ok(())
    } else {
        Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            format!("the file got shorter while it was sent ({sent} of {len} bytes)"),
        ))
    }
}
