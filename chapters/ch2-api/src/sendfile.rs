//! `sendfile()`: a file to a socket without passing through the program.
//!
//! A read/write loop copies every byte twice: from the kernel's page cache
//! into the program's buffer (`read`), and back into the kernel's socket
//! buffer (`send`), two system calls per buffer. `sendfile(2)` asks the
//! kernel to do the copying itself: no user buffer, and one system call
//! for up to 2 GiB. The article calls it useless; servers of static files
//! (nginx, Apache) use nothing else. Python's `sk.sendfile(file)` uses it
//! too, where it can.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::num::NonZeroUsize;

use socket2::SockRef;

/// The ways of sending a file this chapter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// socket2's `sendfile`, in a loop until every byte is sent.
    Sendfile,
    /// `std::io::copy(&mut file, &mut stream)`.
    StdCopy,
    /// `read` into a buffer of this many bytes, `write_all` it, again.
    Loop(usize),
}

impl Method {
    /// The name used on the command line and in the benchmark's table.
    pub fn name(self) -> String {
        match self {
            Method::Sendfile => "sendfile".into(),
            Method::StdCopy => "io-copy".into(),
            Method::Loop(size) if size % 1024 == 0 => format!("loop-{}k", size / 1024),
            Method::Loop(size) => format!("loop-{size}"),
        }
    }

    /// The methods the benchmark runs, in order.
    pub fn all() -> [Method; 4] {
        [
            Method::Sendfile,
            Method::StdCopy,
            Method::Loop(1024),
            Method::Loop(64 * 1024),
        ]
    }

    /// Parses a name as [`Method::name`] writes it.
    pub fn parse(name: &str) -> Option<Method> {
        Method::all().into_iter().find(|m| m.name() == name)
    }
}

/// Sends all of `file` (from its start) to `stream` the way `method` says;
/// returns the bytes sent.
pub fn send_file(method: Method, file: &mut File, stream: &mut TcpStream) -> io::Result<u64> {
    match method {
        Method::Sendfile => send_with_sendfile(file, stream),
        Method::StdCopy => io::copy(file, stream),
        Method::Loop(size) => send_with_loop(file, stream, size),
    }
}

// ANCHOR: sendfile
/// `sk.sendfile(file)`: the kernel copies from the file to the socket.
/// One call may send less than asked (like `send`), so loop until the end
/// of the file.
pub fn send_with_sendfile(file: &File, stream: &TcpStream) -> io::Result<u64> {
    let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
    let socket = SockRef::from(stream); // socket2's view of the same socket
    let mut offset = 0;
    while offset < len {
        let left = NonZeroUsize::new(len - offset).expect("offset < len");
        match socket.sendfile(file, offset, Some(left)) {
            Ok(0) => break, // the file shrank meanwhile
            Ok(n) => offset += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(offset as u64)
}
// ANCHOR_END: sendfile

// ANCHOR: copy_loop
/// The plain way, the one every language starts with: read a buffer's worth
/// of the file, send it all, repeat (the course's server sends line by line).
pub fn send_with_loop(file: &mut File, stream: &mut TcpStream, size: usize) -> io::Result<u64> {
    let mut buf = vec![0; size];
    let mut total = 0;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: copy_loop
