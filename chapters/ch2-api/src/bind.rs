//! `bind()` and `getsockname()`: giving a socket its own address.
//!
//! `bind` asks for a local address and port. Port 0 means "any free port":
//! the kernel picks one, and `getsockname` (Rust: `local_addr`) tells which.
//! Two sockets may not bind the same address and port, with one exception
//! that matters to every server: `SO_REUSEADDR`.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use socket2::{Domain, SockAddr, Socket, Type};

// ANCHOR: port_zero
/// Binds 127.0.0.1 port 0 and asks the socket which port it got.
pub fn bind_port_zero() -> io::Result<SocketAddr> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))?;
    let local = socket.local_addr()?; // getsockname(2)
    local
        .as_socket()
        .ok_or_else(|| io::Error::other("not an IP address"))
}
// ANCHOR_END: port_zero

/// Binds a fresh TCP socket to `addr`, with or without `SO_REUSEADDR`.
pub fn try_bind(addr: SocketAddr, reuse_address: bool) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(reuse_address)?;
    socket.bind(&SockAddr::from(addr))?;
    Ok(socket)
}

// ANCHOR: in_use
/// A second bind of a port that a listening socket holds: refused, with
/// `SO_REUSEADDR` or without.
pub fn bind_while_listening() -> io::Result<(io::Error, io::Error)> {
    let listener = TcpListener::bind("127.0.0.1:0")?; // std sets SO_REUSEADDR
    let addr = listener.local_addr()?;
    let without = try_bind(addr, false).err();
    let with = try_bind(addr, true).err();
    match (without, with) {
        (Some(a), Some(b)) => Ok((a, b)),
        _ => Err(io::Error::other(
            "a second bind of a listening port succeeded",
        )),
    }
}
// ANCHOR_END: in_use

/// What a restarted server meets when its old connections linger.
#[derive(Debug)]
pub struct Restart {
    /// The port the old server used.
    pub port: u16,
    /// The state of the old server's connection when we tried (`TIME_WAIT`
    /// or, rarely, the `FIN_WAIT2` before it), from `/proc/net/tcp`.
    pub lingering_state: Option<&'static str>,
    /// Binding the port again without `SO_REUSEADDR`.
    pub without_reuse: io::Result<()>,
    /// Binding the port again with `SO_REUSEADDR`.
    pub with_reuse: io::Result<()>,
}

// ANCHOR: restart
/// A server that closed a connection first (and then stopped) leaves that
/// connection in `TIME_WAIT` for a minute on Linux, holding its port. A new
/// server binding the same port fails without `SO_REUSEADDR` and succeeds
/// with it.
pub fn restart_after_close() -> io::Result<Restart> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut client = std::net::TcpStream::connect(addr)?;
    let (served, _) = listener.accept()?;
    drop(served); // the server closes first: its side will wait in TIME_WAIT
    client.set_read_timeout(Some(Duration::from_secs(5)))?;
    let n = client.read(&mut [0; 1])?; // 0: the server's FIN arrived
    debug_assert_eq!(n, 0);
    drop(client);
    drop(listener); // the old server is gone entirely
    let lingering_state = wait_for_lingering(addr.port(), Duration::from_secs(5));
    let without_reuse = try_bind(addr, false).map(drop);
    let with_reuse = try_bind(addr, true).map(drop);
    Ok(Restart {
        port: addr.port(),
        lingering_state,
        without_reuse,
        with_reuse,
    })
}
// ANCHOR_END: restart

/// Waits (bounded) until `/proc/net/tcp` shows a connection from local
/// `port` in `TIME_WAIT` and returns that state's name; `FIN_WAIT2` if the
/// bound passes first. `None` if no such connection is listed at all.
fn wait_for_lingering(port: u16, limit: Duration) -> Option<&'static str> {
    let deadline = Instant::now() + limit;
    loop {
        let state = tcp_state_of_local_port(port);
        if state == Some("TIME_WAIT") || Instant::now() >= deadline {
            return state;
        }
        // /proc has no way to wait for a change; look again shortly.
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The state of an IPv4 TCP socket whose local port is `port`, from
/// `/proc/net/tcp` (the hex column `st`).
pub fn tcp_state_of_local_port(port: u16) -> Option<&'static str> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    let wanted = format!(":{port:04X}");
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.get(1)?.ends_with(&wanted) {
            Some(match *cols.get(3)? {
                "01" => "ESTABLISHED",
                "05" => "FIN_WAIT2",
                "06" => "TIME_WAIT",
                "08" => "CLOSE_WAIT",
                "0A" => "LISTEN",
                _ => "OTHER",
            })
        } else {
            None
        }
    })
}
