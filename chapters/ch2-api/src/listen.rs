//! `listen(backlog)` and `accept()`: a queue of finished handshakes.
//!
//! The kernel completes TCP handshakes by itself, before the program calls
//! `accept`, and keeps the finished connections in a queue; `accept` takes
//! the next one out. The backlog bounds that queue. On Linux a
//! full queue refuses nobody: the kernel silently drops the client's
//! SYN, and the client's `connect` waits (and retries, for about two
//! minutes). So "how many can wait" is measured by counting how many
//! `connect`s finish, each with a short timeout, against a listener that
//! never accepts.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

// ANCHOR: listener_with_backlog
/// A TCP listener on 127.0.0.1, port 0, with the backlog given. std's
/// `TcpListener::bind` has no backlog parameter (it always asks for 128);
/// socket2 splits `socket`, `bind` and `listen` apart, as Python does.
pub fn listener_with_backlog(backlog: i32) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))?;
    socket.listen(backlog)?;
    Ok(socket.into())
}
// ANCHOR_END: listener_with_backlog

/// How many connections finished against a listener that never accepts.
#[derive(Debug)]
pub struct Queue {
    /// `connect` calls that finished the handshake.
    pub completed: usize,
    /// The error of the first `connect` that did not (None: none failed
    /// within the attempts allowed).
    pub first_failure: Option<io::Error>,
    /// How long that failed `connect` took.
    pub failed_after: Duration,
}

// ANCHOR: count_queue
/// Connects to `addr` again and again, each attempt waiting at most
/// `timeout`, keeping every connection open, until one attempt fails or
/// `max` have finished. Nobody calls `accept` meanwhile.
pub fn count_until_full(addr: SocketAddr, timeout: Duration, max: usize) -> Queue {
    let mut held = Vec::new();
    for _ in 0..max {
        let started = Instant::now();
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => held.push(stream),
            Err(err) => {
                return Queue {
                    completed: held.len(),
                    first_failure: Some(err),
                    failed_after: started.elapsed(),
                };
            }
        }
    }
    Queue {
        completed: held.len(),
        first_failure: None,
        failed_after: Duration::ZERO,
    }
}
// ANCHOR_END: count_queue

/// [`count_until_full`] against a fresh listener with `backlog`.
pub fn measure_backlog(backlog: i32, timeout: Duration) -> io::Result<Queue> {
    let listener = listener_with_backlog(backlog)?;
    let max = usize::try_from(backlog).unwrap_or(0) + 20;
    Ok(count_until_full(listener.local_addr()?, timeout, max))
}

/// [`count_until_full`] against std's `TcpListener::bind`.
pub fn measure_std_listener(timeout: Duration) -> io::Result<Queue> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(count_until_full(listener.local_addr()?, timeout, 200))
}

// ANCHOR: accept
/// `conn, address = sk.accept()`: the new connection's own socket, and the
/// client's address, which is the client's `getsockname`.
pub fn accept_one() -> io::Result<(SocketAddr, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (_conn, address) = listener.accept()?; // accept4(2)
    Ok((address, client.local_addr()?))
}
// ANCHOR_END: accept

// ANCHOR: full_queue
/// A listener on `addr` whose queue is already full: backlog 0 lets one
/// finished connection wait, and we make that one. Every further `connect`
/// to it hangs (its SYN is dropped) until the client gives up: a way to
/// make a connection time out without leaving this machine.
pub fn full_queue(addr: SocketAddr) -> io::Result<(TcpListener, TcpStream)> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.bind(&SockAddr::from(addr))?;
    socket.listen(0)?;
    let listener: TcpListener = socket.into();
    let waiting = TcpStream::connect_timeout(&listener.local_addr()?, Duration::from_secs(5))?;
    Ok((listener, waiting))
}
// ANCHOR_END: full_queue
