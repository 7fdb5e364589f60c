//! What a handler gets: one request, with its client's address.
//!
//! Python's `StreamRequestHandler` and `DatagramRequestHandler` differ in
//! what `setup` makes of the raw request: buffered `rfile`/`wfile` file
//! objects around a connection, or an `rfile` over one datagram and a
//! `wfile` whose bytes `finish` sends back. Here that is the request type:
//! [`StreamRequest`] and [`DatagramRequest`], built by the transport, so a
//! handler (see [`crate::handler`]) starts with them ready.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::ops::Deref;
use std::os::fd::AsFd;
use std::os::unix::net::{self, UnixDatagram, UnixStream};
use std::sync::Arc;
use std::time::Duration;

/// One request, whatever the transport.
pub trait Request: Send + 'static {
    /// The client's address, for messages (Python's `client_address`).
    fn client_address(&self) -> String;

    /// A handle on the connection's socket, so the server can stop it
    /// reading when it shuts down (see [`crate::shutdown`]). `None` for a
    /// datagram: there is nothing to stop.
    fn stop_handle(&self) -> Option<StopHandle>;

    /// The part of `finish` that every handler of this kind needs: flush
    /// `wfile`, or send the reply datagram. Runs after the handler's own
    /// `finish`, whatever happened before.
    fn complete(&mut self) -> io::Result<()>;
}

/// `StreamRequestHandler`'s class attributes, applied to each connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct StreamOptions {
    /// Read and write timeout of the connection (`timeout`). `None`: wait
    /// as long as it takes, Python's default.
    pub timeout: Option<Duration>,
    /// Set TCP_NODELAY (`disable_nagle_algorithm`): send small writes at
    /// once instead of waiting to fill a segment. TCP only.
    pub disable_nagle_algorithm: bool,
}

/// A handle on an open connection that the server keeps to stop it
/// reading: the socket itself, shared, not a copy of its descriptor.
pub type StopHandle = Arc<dyn AsFd + Send + Sync>;

/// A connection: `TcpStream` or `UnixStream`.
///
/// Both can be read and written through a shared reference (`&TcpStream`
/// is `Read` and `Write`), which is what lets `rfile`, `wfile` and the
/// server's list of open connections share one socket.
pub trait Connection: AsFd + Send + Sync + 'static {
    /// `read` through a shared reference.
    fn read_shared(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// `write` through a shared reference.
    fn write_shared(&self, buf: &[u8]) -> io::Result<usize>;
}

impl Connection for TcpStream {
    fn read_shared(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }
    fn write_shared(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }
}

impl Connection for UnixStream {
    fn read_shared(&self, buf: &mut [u8]) -> io::Result<usize> {
        Read::read(&mut &*self, buf)
    }
    fn write_shared(&self, buf: &[u8]) -> io::Result<usize> {
        Write::write(&mut &*self, buf)
    }
}

// ANCHOR: shared
/// One connection, shared by `rfile`, `wfile` and the server: one
/// descriptor, however many hold it, as Python's `makefile` shares its
/// socket. It derefs to the socket, for its settings (`nodelay`, ...).
#[derive(Debug)]
pub struct Shared<S>(Arc<S>);

impl<S> Deref for Shared<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.0
    }
}

impl<S: Connection> Read for Shared<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_shared(buf)
    }
}

impl<S: Connection> Write for Shared<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_shared(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        // A socket has no buffer of its own to flush: `write` sent the bytes.
        Ok(())
    }
}
// ANCHOR_END: shared

// ANCHOR: stream_request
/// A connection, as `StreamRequestHandler` prepares it.
///
/// `rfile` buffers what arrives, so a handler can read a line at a time
/// without losing the bytes that came after the line; `wfile` gathers small
/// writes until it is flushed. Both share the one socket (one descriptor),
/// and it closes when the last holder lets go of it.
#[derive(Debug)]
pub struct StreamRequest<S: Connection> {
    /// Read from the client, buffered.
    pub rfile: BufReader<Shared<S>>,
    /// Write to the client, buffered: flushed by `complete`, or by the
    /// handler when it expects an answer back.
    pub wfile: BufWriter<Shared<S>>,
    /// The client's address.
    pub client_address: String,
}

impl<S: Connection> StreamRequest<S> {
    /// Wraps an accepted connection.
    pub fn new(stream: S, client_address: String) -> Self {
        let socket = Arc::new(stream);
        StreamRequest {
            rfile: BufReader::new(Shared(Arc::clone(&socket))),
            wfile: BufWriter::new(Shared(socket)),
            client_address,
        }
    }
}

impl<S: Connection> Request for StreamRequest<S> {
    fn client_address(&self) -> String {
        self.client_address.clone()
    }

    fn stop_handle(&self) -> Option<StopHandle> {
        let socket: StopHandle = Arc::clone(&self.rfile.get_ref().0) as _;
        Some(socket)
    }

    fn complete(&mut self) -> io::Result<()> {
        self.wfile.flush()
    }
}
// ANCHOR_END: stream_request

/// A datagram socket: `UdpSocket` or `UnixDatagram`.
pub trait DatagramSocket: Send + Sync + 'static {
    /// The address of a sender.
    type Addr: std::fmt::Debug + Send + 'static;
    /// Sends `buf` as one datagram to `to`.
    fn send_reply(&self, buf: &[u8], to: &Self::Addr) -> io::Result<usize>;
    /// The address as text.
    fn describe(addr: &Self::Addr) -> String;
}

impl DatagramSocket for UdpSocket {
    type Addr = SocketAddr;
    fn send_reply(&self, buf: &[u8], to: &SocketAddr) -> io::Result<usize> {
        self.send_to(buf, to)
    }
    fn describe(addr: &SocketAddr) -> String {
        addr.to_string()
    }
}

impl DatagramSocket for UnixDatagram {
    type Addr = net::SocketAddr;
    fn send_reply(&self, buf: &[u8], to: &net::SocketAddr) -> io::Result<usize> {
        if to.is_unnamed() {
            // A client that never bound its socket has no address to reply to.
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "the client's socket is unnamed: there is no address to reply to",
            ));
        }
        self.send_to_addr(buf, to)
    }
    fn describe(addr: &net::SocketAddr) -> String {
        addr.as_pathname()
            .map_or_else(|| format!("{addr:?}"), |p| p.display().to_string())
    }
}

// ANCHOR: datagram_request
/// One datagram, as `DatagramRequestHandler` prepares it: the `packet`
/// that came, and a `reply` (Python's `wfile`) that `complete` sends back
/// to the sender as one datagram, through the server's own socket.
#[derive(Debug)]
pub struct DatagramRequest<D: DatagramSocket> {
    /// The datagram that arrived, whole.
    pub packet: Vec<u8>,
    /// What to send back. Sent even when empty, as Python does: the client
    /// learns that its request was handled.
    pub reply: Vec<u8>,
    /// The sender.
    pub client_address: D::Addr,
    socket: Arc<D>,
}

impl<D: DatagramSocket> DatagramRequest<D> {
    /// A request for `packet` from `client_address`, answered through `socket`.
    pub fn new(packet: Vec<u8>, client_address: D::Addr, socket: Arc<D>) -> Self {
        DatagramRequest {
            packet,
            reply: Vec::new(),
            client_address,
            socket,
        }
    }
}

impl<D: DatagramSocket> Request for DatagramRequest<D> {
    fn client_address(&self) -> String {
        D::describe(&self.client_address)
    }

    fn stop_handle(&self) -> Option<StopHandle> {
        None
    }

    fn complete(&mut self) -> io::Result<()> {
        self.socket
            .send_reply(&self.reply, &self.client_address)
            .map(drop)
    }
}
// ANCHOR_END: datagram_request
