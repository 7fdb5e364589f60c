//! `socket()` and `socketpair()`: making sockets.
//!
//! Python's `socket.socket()` with no arguments makes an IPv4 TCP socket that
//! is neither bound nor connected. Rust's standard library has no such
//! thing: a `TcpStream` exists only once connected, a `TcpListener` only once
//! bound and listening. The in-between socket, on which you can set options
//! before `bind` or `connect`, is socket2's [`Socket`].

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;

use socket2::{Domain, Protocol, Socket, Type};

/// What the kernel says a socket is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// `AF_INET`, `AF_INET6`, `AF_UNIX`, ...
    pub domain: String,
    /// `SOCK_STREAM`, `SOCK_DGRAM`, ...
    pub socket_type: String,
    /// The protocol the kernel chose for "protocol 0".
    pub protocol: String,
}

// ANCHOR: python_socket
/// `socket.socket()`: family `AF_INET`, type `SOCK_STREAM`, protocol 0
/// (which the kernel turns into TCP). One system call, `socket(2)`.
pub fn python_default_socket() -> io::Result<Socket> {
    Socket::new(Domain::IPV4, Type::STREAM, None)
}
// ANCHOR_END: python_socket

/// Asks the socket what it is (`SO_DOMAIN`, `SO_TYPE`, `SO_PROTOCOL`).
pub fn describe(socket: &Socket) -> io::Result<Described> {
    let domain = socket.domain()?;
    let domain = match domain {
        d if d == Domain::IPV4 => "AF_INET".to_string(),
        d if d == Domain::IPV6 => "AF_INET6".to_string(),
        d if d == Domain::UNIX => "AF_UNIX".to_string(),
        d => format!("{d:?}"),
    };
    let socket_type = match socket.r#type()? {
        t if t == Type::STREAM => "SOCK_STREAM".to_string(),
        t if t == Type::DGRAM => "SOCK_DGRAM".to_string(),
        t => format!("{t:?}"),
    };
    let protocol = match socket.protocol()? {
        Some(p) if p == Protocol::TCP => "IPPROTO_TCP".to_string(),
        Some(p) if p == Protocol::UDP => "IPPROTO_UDP".to_string(),
        Some(p) => format!("{p:?}"),
        None => "0".to_string(),
    };
    Ok(Described {
        domain,
        socket_type,
        protocol,
    })
}

// ANCHOR: socketpair
/// `socket.socketpair()`: two connected sockets and no address at all,
/// made by one system call, `socketpair(2)`. Each end's writes are the other
/// end's reads. Returns what each end received.
pub fn socketpair_ping_pong() -> io::Result<(Vec<u8>, Vec<u8>)> {
    // The std form: Unix stream sockets only.
    let (mut left, mut right) = UnixStream::pair()?;
    left.write_all(b"ping")?;
    let mut got_right = [0; 4];
    right.read_exact(&mut got_right)?;

    // The socket2 form: any family and type the kernel allows in a pair
    // (on Linux: AF_UNIX with STREAM, DGRAM or SEQPACKET).
    let (a, b) = Socket::pair(Domain::UNIX, Type::DGRAM, None)?;
    a.send(b"pong")?;
    let mut got_b = [0; 16];
    let n = (&b).read(&mut got_b)?;
    Ok((got_right.to_vec(), got_b[..n].to_vec()))
}
// ANCHOR_END: socketpair
