//! One echo server for every transport.
//!
//! A server takes the same first three steps in every family and type:
//! `socket(family, type, 0)`, `bind(address)`, and, if the type has
//! connections, `listen`. Then the two kinds part ways:
//!
//! - with connections (TCP, Unix stream, Unix seqpacket), `accept` hands out
//!   one new socket per client, and we echo on it until the client closes;
//! - without (UDP, Unix datagram), the one socket receives every client's
//!   datagrams, each with its sender's address, and the reply goes back to
//!   that address.
//!
//! The server prints a line for everything that happens, so that a person
//! (or a test) can see what arrived in which pieces.

use std::io::{self, Read, Write};
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use socket2::Socket;

use crate::address::{Endpoint, describe, describe_unix};
use crate::datagram::next_message_size;
use crate::report::{count, preview, say};
use crate::socket_file::{SocketFile, remove_stale_socket};
use crate::transport::Transport;

/// The default size of the buffer each `recv` fills: 64 KiB, more than the
/// largest UDP datagram (65,507 bytes over IPv4).
pub const DEFAULT_BUFFER: usize = 65_536;

/// The largest buffer the programs accept: 16 MiB.
pub const MAX_BUFFER: usize = 16 * 1024 * 1024;

/// Reads a `--buffer` size: a whole number of bytes from 1 to [`MAX_BUFFER`].
pub fn parse_buffer_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_BUFFER).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{text}`: give a number of bytes from 1 to {MAX_BUFFER}"
        )),
    }
}

/// How many connections may wait for `accept`. The kernel caps it at
/// `net.core.somaxconn`. (std's `TcpListener` always asks for 128.)
pub const BACKLOG: i32 = 128;

/// How long a Unix datagram server waits to deliver one reply. A client
/// that never reads fills its queue, and a blocking send to it would stop
/// the server for everybody else.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The family and type.
    pub transport: Transport,
    /// Where to listen.
    pub endpoint: Endpoint,
    /// The size of each read, in bytes.
    pub buffer: usize,
    /// Remove a stale socket file before binding a Unix path? Without it,
    /// `bind` fails with `EADDRINUSE`, which is worth seeing once.
    pub remove_stale: bool,
}

/// A server that is bound (and listening, if its type has connections).
#[derive(Debug)]
pub struct Server {
    transport: Transport,
    socket: Socket,
    address: String,
    buffer: usize,
    socket_file: Option<SocketFile>,
}

// ANCHOR: bind
/// Creates the socket, binds it and, for a connection type, listens.
pub fn bind(options: &ServerOptions) -> Result<Server> {
    let ServerOptions {
        transport,
        endpoint,
        ..
    } = options;
    // socket(family, type, protocol 0): the family comes from the address.
    let socket = Socket::new(endpoint.domain(), transport.socket_type(), None)
        .with_context(|| format!("cannot create a {transport} socket"))?;
    if *transport == Transport::Tcp {
        // Let a restarted server bind at once, although connections of its
        // previous run linger in TIME_WAIT (std's TcpListener does the same).
        // Not for UDP: there it would let two servers share the port.
        socket
            .set_reuse_address(true)
            .context("cannot set SO_REUSEADDR")?;
    }
    let path = match endpoint {
        Endpoint::Unix(unix) => unix.path(),
        Endpoint::Ip(_) => None,
    };
    if let (Some(path), true) = (path, options.remove_stale) {
        remove_stale_socket(path)?;
    }
    socket.bind(&endpoint.to_sockaddr()?).with_context(|| {
        format!(
            "cannot bind a {transport} socket to {endpoint}{}",
            bind_hint(path)
        )
    })?;
    // From here on a file exists at `path`, and it is ours to remove.
    let socket_file = path
        .map(SocketFile::created_at)
        .transpose()
        .context("cannot find the socket file bind created")?;
    if transport.is_connection_oriented() {
        socket
            .listen(BACKLOG)
            .with_context(|| format!("cannot listen on {endpoint}"))?;
    }
    // Ask the socket where it is: with port 0 the kernel chose the port.
    let address = describe(
        &socket
            .local_addr()
            .context("cannot read the bound address")?,
    );
    Ok(Server {
        transport: *transport,
        socket,
        address,
        buffer: options.buffer,
        socket_file,
    })
}
// ANCHOR_END: bind

/// A word of explanation for the most puzzling bind failure of a Unix path.
fn bind_hint(path: Option<&Path>) -> String {
    let Some(parent) = path.and_then(Path::parent) else {
        return String::new();
    };
    if !parent.as_os_str().is_empty() && !parent.exists() {
        return format!(" (the folder {} does not exist)", parent.display());
    }
    String::new()
}

impl Server {
    /// The address the server is bound to, as `listening on` shows it.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The socket file the server created, if it is bound to a path.
    pub fn socket_file(&self) -> Option<&SocketFile> {
        self.socket_file.as_ref()
    }

    /// Serves until an error stops the server. The socket file, if any, is
    /// removed when this returns.
    pub fn serve(self) -> Result<()> {
        let Server {
            transport,
            socket,
            buffer,
            socket_file: _file,
            ..
        } = self;
        match transport {
            Transport::Tcp | Transport::UnixStream | Transport::UnixSeqpacket => {
                serve_connections(&socket, buffer, transport.keeps_message_boundaries())
            }
            Transport::Udp => serve_udp(&UdpSocket::from(socket), buffer),
            Transport::UnixDgram => serve_unix_datagrams(&UnixDatagram::from(socket), buffer),
        }
    }
}

// ANCHOR: serve_connections
/// Accepts clients one after another and echoes each on a thread of its
/// own (simple, and fine for a handful of clients; chapter 6 shows the
/// alternatives).
fn serve_connections(listener: &Socket, buffer: usize, messages: bool) -> Result<()> {
    let mut number = 0u64;
    loop {
        let (connection, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // A client that gave up while waiting in the queue: not our fault.
            Err(err) if is_transient(&err) => continue,
            Err(err) => return Err(err).context("accept failed"),
        };
        number += 1;
        say(format!("connection {number} from {}", describe(&peer)));
        let spawned = thread::Builder::new().spawn(move || {
            let on_read = |bytes: &[u8], size: Option<usize>| {
                say(format!(
                    "connection {number}: read {}",
                    describe_message(bytes, size)
                ));
            };
            match echo_connection(&connection, buffer, messages, on_read) {
                Ok(totals) => say(format!(
                    "connection {number}: closed after {}, {}",
                    count(totals.reads, "read"),
                    count(totals.bytes, "byte")
                )),
                Err(err) => say(format!("connection {number}: {err}")),
            }
        });
        if let Err(err) = spawned {
            say(format!("connection {number}: cannot start a thread: {err}"));
        }
    }
}
// ANCHOR_END: serve_connections

fn is_transient(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::Interrupted
    )
}

/// What a connection carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// How many reads returned data.
    pub reads: usize,
    /// How many bytes they returned.
    pub bytes: usize,
}

// ANCHOR: echo_connection
/// Echoes what a connected client sends until it closes its end.
///
/// The same loop serves a stream and a seqpacket connection. Whether the
/// client's three sends come back as three messages is not up to this code
/// but to the socket type: a seqpacket `read` returns exactly one message,
/// a stream `read` whatever bytes have arrived. With `messages`, each
/// message's real size is looked up first, to report truncation.
pub fn echo_connection(
    connection: &Socket,
    buffer: usize,
    messages: bool,
    mut on_read: impl FnMut(&[u8], Option<usize>),
) -> io::Result<Totals> {
    let mut buf = vec![0; buffer];
    let mut totals = Totals::default();
    // `Read` and `Write` are implemented for `&Socket`.
    let mut connection = connection;
    loop {
        let size = if messages {
            next_message_size(connection)?
        } else {
            None
        };
        let n = match connection.read(&mut buf) {
            // 0 bytes: the client closed its end (or shut down writing).
            // (A zero-length seqpacket message reads the same way; our
            // client never sends one.)
            Ok(0) => return Ok(totals),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        totals.reads += 1;
        totals.bytes += n;
        on_read(&buf[..n], size);
        // A stream may take the bytes in several writes; write_all loops.
        // A seqpacket send is all or nothing, so it stays one message.
        connection.write_all(&buf[..n])?;
    }
}
// ANCHOR_END: echo_connection

/// `5 bytes "hello"`, or `1024 of 60000 bytes (truncated) "aaa..."`.
pub fn describe_message(bytes: &[u8], size: Option<usize>) -> String {
    match size {
        Some(size) if size > bytes.len() => format!(
            "{} of {size} bytes (truncated: the rest is lost) {}",
            bytes.len(),
            preview(bytes)
        ),
        _ => format!("{} {}", count(bytes.len(), "byte"), preview(bytes)),
    }
}

// ANCHOR: serve_udp
/// Echoes every UDP datagram to the address it came from.
fn serve_udp(socket: &UdpSocket, buffer: usize) -> Result<()> {
    let mut buf = vec![0; buffer];
    loop {
        let size = next_message_size(socket).context("cannot wait for a datagram")?;
        let (n, sender) = socket
            .recv_from(&mut buf)
            .context("cannot receive a datagram")?;
        let outcome = match socket.send_to(&buf[..n], sender) {
            Ok(_) => "echoed".to_string(),
            Err(err) => format!("not echoed: {err}"),
        };
        say(format!(
            "datagram from {sender}: {}, {outcome}",
            describe_message(&buf[..n], size)
        ));
    }
}
// ANCHOR_END: serve_udp

// ANCHOR: serve_unix_datagrams
/// Echoes every Unix datagram to the address it came from, when it came
/// from one: a client that never bound its socket has no address, and
/// there is nowhere to send its reply.
fn serve_unix_datagrams(socket: &UnixDatagram, buffer: usize) -> Result<()> {
    socket
        .set_write_timeout(Some(REPLY_TIMEOUT))
        .context("cannot set a send timeout")?;
    let mut buf = vec![0; buffer];
    loop {
        let size = next_message_size(socket).context("cannot wait for a datagram")?;
        let (n, sender) = socket
            .recv_from(&mut buf)
            .context("cannot receive a datagram")?;
        let outcome = if sender.is_unnamed() {
            "not echoed: the sender's socket is not bound, it has no address to reply to"
                .to_string()
        } else {
            match socket.send_to_addr(&buf[..n], &sender) {
                Ok(_) => "echoed".to_string(),
                // The client may be gone already: that is its business.
                Err(err) => format!("not echoed: {err}"),
            }
        };
        say(format!(
            "datagram from {}: {}, {outcome}",
            describe_unix(&sender),
            describe_message(&buf[..n], size)
        ));
    }
}
// ANCHOR_END: serve_unix_datagrams

#[cfg(test)]
mod tests {
    use super::*;
    use socket2::{Domain, Type};

    #[test]
    fn a_seqpacket_connection_reads_one_message_per_read() {
        let (client, server) = Socket::pair(Domain::UNIX, Type::SEQPACKET, None).unwrap();
        for message in [&b"one"[..], b"two", b"three"] {
            client.send(message).unwrap();
        }
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut seen = Vec::new();
        let totals = echo_connection(&server, 1024, true, |b, _| seen.push(b.to_vec())).unwrap();
        assert_eq!(seen, [&b"one"[..], b"two", b"three"]);
        assert_eq!(
            totals,
            Totals {
                reads: 3,
                bytes: 11
            }
        );
    }

    #[test]
    fn a_stream_connection_reads_what_has_arrived() {
        // All three writes are in the queue before the first read: a stream
        // read takes as much as fits, so it sees one piece.
        let (client, server) = Socket::pair(Domain::UNIX, Type::STREAM, None).unwrap();
        for message in [&b"one"[..], b"two", b"three"] {
            client.send(message).unwrap();
        }
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut seen = Vec::new();
        echo_connection(&server, 1024, false, |b, _| seen.push(b.to_vec())).unwrap();
        assert_eq!(seen, [&b"onetwothree"[..]]);
    }

    #[test]
    fn truncation_is_described() {
        assert_eq!(describe_message(b"hi", Some(2)), "2 bytes \"hi\"");
        assert!(describe_message(b"hi", Some(9)).starts_with("2 of 9 bytes (truncated"));
    }
}
