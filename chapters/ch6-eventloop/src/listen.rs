//! The listening socket every model of this chapter shares.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result};
use socket2::{Domain, Socket, Type};

// ANCHOR: backlog
/// The listen backlog: the queue of connections the kernel has completed
/// and the program has not yet accepted. 10,000 clients connecting at once
/// overflow a small one (std's is 128); Linux caps it at
/// `net.core.somaxconn` (4096 here).
pub const BACKLOG: i32 = 4096;
// ANCHOR_END: backlog

/// How long a graceful shutdown waits for connections to take their last
/// answers before the server exits anyway.
pub const GRACE: Duration = Duration::from_secs(10);

/// Binds `host:port` with SO_REUSEADDR and a backlog of [`BACKLOG`].
pub fn bind(host: &str, port: u16) -> Result<TcpListener> {
    let addr: SocketAddr = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .with_context(|| format!("no address for {host}"))?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket
        .bind(&addr.into())
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}
