//! `setblocking()` and `settimeout()`: how long a call may wait.
//!
//! A socket starts blocking: `accept` and `recv` wait for as long as it
//! takes. Non-blocking, they return at once with an error (`EAGAIN`, Rust's
//! `ErrorKind::WouldBlock`) when there is nothing yet. A timeout is in
//! between: wait at most so long.
//!
//! Python implements `settimeout` itself (it makes the socket non-blocking
//! and waits with `poll`), and raises `TimeoutError`. Rust's
//! `set_read_timeout` sets the kernel's `SO_RCVTIMEO` instead, and a read
//! that times out fails with `EAGAIN`, which on Unix is
//! `ErrorKind::WouldBlock`, not `TimedOut`.

use std::io::{self, Read};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::loopback::tcp_pair;

// ANCHOR: nonblocking
/// `setblocking(False)`, then `accept()` with nobody connecting and `recv()`
/// with nothing sent: both fail at once.
pub fn nonblocking_errors() -> io::Result<(io::Error, io::Error)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?; // O_NONBLOCK on the descriptor
    let accept_error = match listener.accept() {
        Ok(_) => return Err(io::Error::other("accept found a connection")),
        Err(err) => err,
    };
    let (_client, mut server) = tcp_pair()?;
    server.set_nonblocking(true)?;
    let recv_error = match server.read(&mut [0; 16]) {
        Ok(n) => return Err(io::Error::other(format!("recv returned {n}"))),
        Err(err) => err,
    };
    Ok((accept_error, recv_error))
}
// ANCHOR_END: nonblocking

// ANCHOR: timeout
/// `settimeout(t)` for reading: `recv` with nothing sent fails after about
/// `t`. Returns the error and how long the call waited.
pub fn read_timeout(limit: Duration) -> io::Result<(io::Error, Duration)> {
    let (_client, mut server) = tcp_pair()?;
    server.set_read_timeout(Some(limit))?; // setsockopt(SO_RCVTIMEO)
    let started = Instant::now();
    match server.read(&mut [0; 16]) {
        Ok(n) => Err(io::Error::other(format!("recv returned {n}"))),
        Err(err) => Ok((err, started.elapsed())),
    }
}
// ANCHOR_END: timeout

/// `settimeout(0)` is `setblocking(False)` in Python; in Rust a zero
/// timeout is an error (`InvalidInput`): use `set_nonblocking(true)`.
pub fn zero_timeout() -> io::Result<io::Error> {
    let (client, _server) = tcp_pair()?;
    match client.set_read_timeout(Some(Duration::ZERO)) {
        Ok(()) => Err(io::Error::other("a zero timeout was accepted")),
        Err(err) => Ok(err),
    }
}
