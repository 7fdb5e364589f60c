//! Chapter 2 of *Socket programming in Rust*: the socket API, call by call
//! (article section 1.2).
//!
//! The article lists twenty-one calls of Python's `socket` module with a
//! sentence each. This crate shows every one of them at work in Rust, on
//! loopback, and its tests prove what the book says about them:
//!
//! - [`create`]: `socket()` and `socketpair()`.
//! - [`resolve`]: `getaddrinfo()` and `create_connection()`.
//! - [`bind`]: `bind()`, `getsockname()`, "address in use" and `SO_REUSEADDR`.
//! - [`listen`]: `listen(backlog)` and `accept()`: what the backlog counts.
//! - [`connect`]: `connect()`, `connect_ex()` and `getpeername()`.
//! - [`io`]: `recv()`, `send()`, `sendall()`, `close()`, half-close, SIGPIPE.
//! - [`modes`]: `setblocking()` and `settimeout()`.
//! - [`datagram`]: `sendto()` and `recvfrom()`.
//! - [`fd`]: `fileno()`, and who owns a descriptor.
//! - [`sendfile`]: `sendfile()` against copy loops.
//! - [`loopback`]: a connected pair of TCP sockets, for the others.
//! - [`lab`]: the socket lab: a server that reports every call it makes, and
//!   a client that makes one call per line of input.
//! - [`demo`]: the demonstrations `api-demo` runs, one per call.

pub mod bind;
pub mod connect;
pub mod create;
pub mod datagram;
pub mod demo;
pub mod fd;
pub mod io;
pub mod lab;
pub mod listen;
pub mod loopback;
pub mod modes;
pub mod resolve;
pub mod sendfile;

/// Prints one line on stdout and flushes it, ignoring a closed stdout.
pub fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Bytes as a person reads them: `"hello"`, escaped where not printable,
/// cut after 40 bytes.
pub fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(40)];
    let more = if bytes.len() > 40 { "..." } else { "" };
    format!("\"{}\"{more}", shown.escape_ascii())
}

/// An error as the book shows it: `ErrorKind`, raw OS error number and text.
pub fn describe_error(err: &std::io::Error) -> String {
    let text = err.to_string();
    match err.raw_os_error() {
        Some(code) => {
            // io::Error's text ends with " (os error N)"; say it once.
            let text = text.trim_end_matches(&format!(" (os error {code})"));
            format!("{:?} (os error {code}: {text})", err.kind())
        }
        None => format!("{:?} ({text})", err.kind()),
    }
}
