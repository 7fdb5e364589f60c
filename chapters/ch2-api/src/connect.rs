//! `connect()`, `connect_ex()` and `getpeername()`.
//!
//! `connect` raises an exception on failure; `connect_ex` returns the error
//! number instead (0 on success). Rust has one form, a `Result`, whose error
//! carries both the portable [`io::ErrorKind`] and the raw OS number.

use std::io;
use std::net::{SocketAddr, TcpStream};

use socket2::{Domain, SockAddr, Socket, Type};

// ANCHOR: closed_port
/// An address where nothing listens, kept so: a socket bound to a port but
/// not listening holds the port (no other program can take it) and the
/// kernel answers every SYN to it with a reset.
pub fn closed_port() -> io::Result<(Socket, SocketAddr)> {
    let holder = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    holder.bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))?;
    let addr = holder
        .local_addr()?
        .as_socket()
        .ok_or_else(|| io::Error::other("not an IP address"))?;
    Ok((holder, addr))
}
// ANCHOR_END: closed_port

// ANCHOR: connect_ex
/// `sk.connect_ex(address)`: 0 on success, else the error number.
pub fn connect_ex(socket: &Socket, addr: SocketAddr) -> i32 {
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => 0,
        Err(err) => err.raw_os_error().unwrap_or(-1),
    }
}
// ANCHOR_END: connect_ex

/// What a refused connection looks like from Rust.
#[derive(Debug)]
pub struct Refused {
    /// `connect_ex`'s number.
    pub code: i32,
    /// std's `TcpStream::connect` error.
    pub error: io::Error,
}

/// Connects to a port where nothing listens, both ways.
pub fn refused() -> io::Result<Refused> {
    let (_holder, addr) = closed_port()?;
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let code = connect_ex(&socket, addr);
    let error = match TcpStream::connect(addr) {
        Ok(_) => return Err(io::Error::other("a connection to a closed port succeeded")),
        Err(err) => err,
    };
    Ok(Refused { code, error })
}

// ANCHOR: getpeername
/// `getpeername` on a connected socket, and on one that is not connected
/// (`ENOTCONN`).
pub fn peer_names() -> io::Result<(SocketAddr, SocketAddr, io::Error)> {
    let (client, server) = crate::loopback::tcp_pair()?;
    let seen_by_client = client.peer_addr()?; // the server's address
    let seen_by_server = server.peer_addr()?; // the client's address and port
    let lonely = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    let not_connected = match lonely.peer_addr() {
        Ok(_) => return Err(io::Error::other("an unconnected socket has a peer")),
        Err(err) => err,
    };
    Ok((seen_by_client, seen_by_server, not_connected))
}
// ANCHOR_END: getpeername
