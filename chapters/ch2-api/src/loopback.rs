//! A connected pair of TCP sockets on loopback, for demonstrations that need
//! both ends of one connection in one program.

use std::io;
use std::net::{TcpListener, TcpStream};

/// Two ends of one TCP connection over 127.0.0.1: `(client, server)`.
///
/// The listener binds port 0 (the OS chooses), so nothing here clashes with
/// another program, and is closed again once the connection is accepted.
pub fn tcp_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}
