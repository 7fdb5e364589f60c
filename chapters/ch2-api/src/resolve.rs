//! `getaddrinfo()` and `create_connection()`: from a name to a connection.
//!
//! A host name is not an address. The C library's `getaddrinfo(3)` turns it
//! into a list of addresses, in the order it prefers them, looking in
//! `/etc/hosts` and then asking DNS (the order is set by the `hosts:` line of
//! `/etc/nsswitch.conf`). A client should try them in turn: a name may have
//! an IPv6 and an IPv4 address and only one of them may answer. Python's
//! `socket.create_connection` does exactly that, and so does
//! [`create_connection`] here.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use socket2::{Domain, SockAddr, Socket, Type};

// ANCHOR: getaddrinfo
/// `socket.getaddrinfo(host, port)`: every address `host` resolves to, in
/// the resolver's order, waiting at most `limit`.
///
/// `getaddrinfo(3)` blocks and cannot be cancelled, and a DNS server that
/// does not answer makes it wait for many seconds. So the lookup runs on a
/// thread of its own and we wait for its answer with a bound; if the bound
/// passes, the thread is left to finish on its own.
pub fn getaddrinfo(host: &str, port: u16, limit: Duration) -> io::Result<Vec<SocketAddr>> {
    let (tx, rx) = mpsc::channel();
    let host = host.to_string();
    thread::spawn(move || {
        // std calls getaddrinfo with the hint SOCK_STREAM: one entry per address.
        let answer = (host.as_str(), port)
            .to_socket_addrs()
            .map(|addrs| addrs.collect());
        let _ = tx.send(answer);
    });
    match rx.recv_timeout(limit) {
        Ok(answer) => answer,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer from the resolver within {limit:?}"),
        )),
    }
}
// ANCHOR_END: getaddrinfo

// ANCHOR: files_only
/// Makes this process look names up in `/etc/hosts` only, never in DNS
/// (glibc's `__nss_configure_lookup`, as if `/etc/nsswitch.conf` said
/// `hosts: files`). A name that is not in the file then fails at once, and
/// no query leaves the machine. Returns false where this is not possible
/// (a C library other than glibc).
pub fn look_up_in_hosts_file_only() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn __nss_configure_lookup(
                db: *const libc::c_char,
                service: *const libc::c_char,
            ) -> libc::c_int;
        }
        // SAFETY: both arguments are NUL-terminated static strings; glibc
        // copies what it needs. The call only changes which sources later
        // lookups consult.
        unsafe { __nss_configure_lookup(c"hosts".as_ptr(), c"files".as_ptr()) == 0 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
// ANCHOR_END: files_only

/// The names the hosts file gives `name`'s addresses: what `getaddrinfo`
/// answers for `name` when it is listed there.
pub fn hosts_file_addresses(hosts: &str, name: &str) -> Vec<std::net::IpAddr> {
    hosts
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default())
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let ip = words.next()?.parse().ok()?;
            words.any(|w| w == name).then_some(ip)
        })
        .collect()
}

// ANCHOR: create_connection
/// `socket.create_connection(address, timeout, source_address)` in Rust.
///
/// Resolves `addr`, then tries each address in turn, each attempt waiting
/// at most `timeout`, until one connects. With `source`, the socket is bound
/// to that local address first (port 0: any port). When every address
/// fails, the error of the last attempt is returned, as Python does.
pub fn create_connection(
    addr: impl ToSocketAddrs,
    timeout: Duration,
    source: Option<SocketAddr>,
) -> io::Result<TcpStream> {
    let mut last_error = None;
    for candidate in addr.to_socket_addrs()? {
        match connect_one(candidate, timeout, source) {
            Ok(stream) => return Ok(stream),
            Err(err) => last_error = Some(err),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, "the name resolved to no address")
    }))
}

/// One attempt: socket, optional bind to the source address, connect with a
/// timeout.
fn connect_one(
    addr: SocketAddr,
    timeout: Duration,
    source: Option<SocketAddr>,
) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if let Some(source) = source {
        if source.is_ipv4() != addr.is_ipv4() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("source {source} and destination {addr} are of different families"),
            ));
        }
        socket.bind(&SockAddr::from(source))?;
    }
    socket.connect_timeout(&SockAddr::from(addr), timeout)?;
    Ok(socket.into())
}
// ANCHOR_END: create_connection
