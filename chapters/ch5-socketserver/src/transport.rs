//! The four transports: what `TCPServer`, `UDPServer`, `UnixStreamServer`
//! and `UnixDatagramServer` differ in.
//!
//! In Python each is a subclass of `BaseServer` that overrides
//! `server_bind`, `server_activate` and `get_request`. Here each is a type
//! that implements [`Transport`]: it owns the bound socket (closing it when
//! dropped, which is `server_close`) and turns the next waiting client into
//! a [`Request`].
//!
//! Every transport's socket is non-blocking. The server waits for it with
//! `poll(2)` (beside its shutdown wake-up, see [`crate::shutdown`]), and a
//! non-blocking accept or receive then never blocks, even if the client went
//! away between the poll and the call.

use std::fs;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::request::{DatagramRequest, Request, StreamOptions, StreamRequest};

/// Python's `UDPServer.max_packet_size`: the largest request datagram.
pub const MAX_PACKET_SIZE: usize = 8192;

/// A bound socket that hands out requests.
///
/// `AsFd` is for `poll(2)`: the server waits until this descriptor is
/// readable, then calls [`Transport::get_request`].
pub trait Transport: AsFd + Send + 'static {
    /// What one client's request is: a connection or a datagram.
    type Request: Request;

    /// The address the socket is bound to, port 0 resolved (Python's
    /// `server_address` after bind), as text: `127.0.0.1:40000` or a path.
    fn server_address(&self) -> String;

    /// The next request, or `Ok(None)` when none is waiting (the socket is
    /// non-blocking) or the one that was waiting is not worth a request.
    fn get_request(&self) -> io::Result<Option<Self::Request>>;
}

// ANCHOR: bind_options
/// Python's class attributes `allow_reuse_address`, `allow_reuse_port` and
/// `request_queue_size`, as one value given to `bind`.
#[derive(Debug, Clone)]
pub struct BindOptions {
    /// SO_REUSEADDR: bind a port whose old connections are still in
    /// TIME_WAIT (a restarted server needs it). Python's default is off for
    /// `TCPServer`; std's `TcpListener::bind` always sets it.
    pub allow_reuse_address: bool,
    /// SO_REUSEPORT: let several sockets bind the same port, and the kernel
    /// spread the connections among them.
    pub allow_reuse_port: bool,
    /// The backlog of `listen(2)`: how many finished handshakes may wait for
    /// `accept`. Python's 5 makes a burst of 100 clients wait seconds (their
    /// SYNs are dropped and retried); std's is 128. The kernel caps it at
    /// `net.core.somaxconn`.
    pub request_queue_size: i32,
}

impl Default for BindOptions {
    fn default() -> Self {
        BindOptions {
            allow_reuse_address: true,
            allow_reuse_port: false,
            request_queue_size: 1024,
        }
    }
}
// ANCHOR_END: bind_options

/// The first address `addr` resolves to.
fn resolve(addr: impl ToSocketAddrs) -> io::Result<SocketAddr> {
    addr.to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "the address resolves to nothing"))
}

/// A socket of `kind` for `addr`, with the options set before `bind`.
fn bound_socket(addr: SocketAddr, kind: Type, options: &BindOptions) -> io::Result<Socket> {
    let protocol = if kind == Type::STREAM {
        Protocol::TCP
    } else {
        Protocol::UDP
    };
    let socket = Socket::new(Domain::for_address(addr), kind, Some(protocol))?;
    socket.set_reuse_address(options.allow_reuse_address)?;
    socket.set_reuse_port(options.allow_reuse_port)?;
    socket.bind(&SockAddr::from(addr))?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

// ANCHOR: tcp
/// `TCPServer`: a listening TCP socket; a request is one connection.
#[derive(Debug)]
pub struct TcpTransport {
    listener: TcpListener,
    stream_options: StreamOptions,
}

impl TcpTransport {
    /// Binds and listens (Python's `server_bind` + `server_activate`).
    pub fn bind(addr: impl ToSocketAddrs, options: &BindOptions) -> io::Result<Self> {
        let socket = bound_socket(resolve(addr)?, Type::STREAM, options)?;
        socket.listen(options.request_queue_size)?;
        Ok(TcpTransport {
            listener: socket.into(),
            stream_options: StreamOptions::default(),
        })
    }

    /// Sets the timeout and TCP_NODELAY of every accepted connection
    /// (`StreamRequestHandler.timeout` and `.disable_nagle_algorithm`).
    pub fn with_stream_options(mut self, options: StreamOptions) -> Self {
        self.stream_options = options;
        self
    }

    /// The bound address, port 0 resolved.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The listening socket, for looking at its options.
    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }
}

impl Transport for TcpTransport {
    type Request = StreamRequest<TcpStream>;

    fn server_address(&self) -> String {
        self.listener
            .local_addr()
            .map_or_else(|e| format!("(unknown: {e})"), |a| a.to_string())
    }

    fn get_request(&self) -> io::Result<Option<Self::Request>> {
        match self.listener.accept() {
            Ok((stream, peer)) => {
                // Accepted sockets do not inherit O_NONBLOCK on Linux; the
                // handler reads and writes with ordinary blocking calls.
                stream.set_nodelay(self.stream_options.disable_nagle_algorithm)?;
                stream.set_read_timeout(self.stream_options.timeout)?;
                stream.set_write_timeout(self.stream_options.timeout)?;
                Ok(Some(StreamRequest::new(stream, peer.to_string())))
            }
            // Nobody waiting, or a client that gave up before we accepted.
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => Ok(None),
            Err(e) => Err(e),
        }
    }
}
// ANCHOR_END: tcp

impl AsFd for TcpTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

// ANCHOR: udp
/// `UDPServer`: one socket for every client; a request is one datagram.
#[derive(Debug)]
pub struct UdpTransport {
    socket: Arc<UdpSocket>,
    max_packet_size: usize,
}

impl UdpTransport {
    /// Binds the socket. There is no listen and no backlog for UDP.
    pub fn bind(addr: impl ToSocketAddrs, options: &BindOptions) -> io::Result<Self> {
        let socket = bound_socket(resolve(addr)?, Type::DGRAM, options)?;
        Ok(UdpTransport {
            socket: Arc::new(socket.into()),
            max_packet_size: MAX_PACKET_SIZE,
        })
    }

    /// Sets the largest request accepted; a bigger datagram is dropped
    /// and reported (see [`receive_datagram`]).
    pub fn with_max_packet_size(mut self, size: usize) -> Self {
        self.max_packet_size = size;
        self
    }

    /// The bound address, port 0 resolved.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

impl Transport for UdpTransport {
    type Request = DatagramRequest<UdpSocket>;

    fn server_address(&self) -> String {
        self.socket
            .local_addr()
            .map_or_else(|e| format!("(unknown: {e})"), |a| a.to_string())
    }

    fn get_request(&self) -> io::Result<Option<Self::Request>> {
        let socket = &self.socket;
        receive_datagram(self.max_packet_size, |buf| socket.recv_from(buf)).map(|got| {
            got.map(|(packet, from)| DatagramRequest::new(packet, from, Arc::clone(socket)))
        })
    }
}
// ANCHOR_END: udp

impl AsFd for UdpTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

/// The error a too-large datagram is reported with.
#[derive(Debug)]
pub struct Oversized {
    /// How many bytes arrived (at least this many: the rest was cut off).
    pub got: usize,
    /// The limit.
    pub max: usize,
    /// The sender.
    pub from: String,
}

impl std::fmt::Display for Oversized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dropped a datagram of {} bytes or more from {}: the limit is {} (max_packet_size)",
            self.got, self.from, self.max
        )
    }
}

impl std::error::Error for Oversized {}

// ANCHOR: receive_datagram
/// Receives one datagram of at most `max` bytes.
///
/// Python's `UDPServer` reads `max_packet_size` bytes and the kernel throws
/// the rest of a longer datagram away without a word: the handler answers a
/// request it never saw whole. Here the buffer is one byte longer than the
/// limit, so a longer datagram shows itself, and it is refused with an
/// [`Oversized`] error (reported by the server, which then serves on).
pub fn receive_datagram<A: std::fmt::Debug>(
    max: usize,
    recv_from: impl FnOnce(&mut [u8]) -> io::Result<(usize, A)>,
) -> io::Result<Option<(Vec<u8>, A)>> {
    let mut buf = vec![0; max + 1];
    match recv_from(&mut buf) {
        Ok((n, from)) if n > max => Err(io::Error::new(
            ErrorKind::InvalidData,
            Oversized {
                got: n,
                max,
                from: format!("{from:?}"),
            },
        )),
        Ok((n, from)) => {
            buf.truncate(n);
            Ok(Some((buf, from)))
        }
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}
// ANCHOR_END: receive_datagram

/// A socket file that is removed when the transport is dropped, if it is
/// still the one this server made.
///
/// Python's `server_close` leaves the file behind, and the next bind to the
/// same path fails with "Address already in use". Removing it by name at
/// exit has the opposite danger: by then the name may belong to something
/// else (another server started since, which removed our file as stale, or
/// a file someone put there), so the file's identity, its device and inode,
/// is taken at bind time and compared before removing.
#[derive(Debug)]
struct SocketFile {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

impl SocketFile {
    /// The socket file just bound at `path`.
    fn bound(path: &Path) -> SocketFile {
        SocketFile {
            path: path.to_path_buf(),
            identity: Self::identity(path),
        }
    }

    /// Device and inode of what `path` names now, without following links.
    fn identity(path: &Path) -> Option<(u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }

    /// Removes a stale socket file at `path`: one that nobody listens on.
    /// A live one is left alone, and the bind that follows fails.
    fn remove_stale(path: &Path) {
        use std::os::unix::fs::FileTypeExt;
        let is_socket = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
        if is_socket
            && UnixStream::connect(path).is_err()
            && UnixDatagram::unbound()
                .and_then(|s| s.connect(path))
                .is_err()
        {
            let _ = fs::remove_file(path);
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if self.identity.is_some() && Self::identity(&self.path) == self.identity {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// `UnixStreamServer`: a listening Unix domain socket at a path.
#[derive(Debug)]
pub struct UnixStreamTransport {
    listener: UnixListener,
    stream_options: StreamOptions,
    // Declared after the listener: the file goes after the socket closes.
    file: SocketFile,
}

impl UnixStreamTransport {
    /// Binds `path` and listens with the backlog of `options`.
    pub fn bind(path: impl AsRef<Path>, options: &BindOptions) -> io::Result<Self> {
        let path = path.as_ref();
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        SocketFile::remove_stale(path);
        socket.bind(&SockAddr::unix(path)?)?;
        // Ours from here on: removed when the transport is dropped.
        let file = SocketFile::bound(path);
        socket.listen(options.request_queue_size)?;
        socket.set_nonblocking(true)?;
        Ok(UnixStreamTransport {
            listener: UnixListener::from(std::os::fd::OwnedFd::from(socket)),
            stream_options: StreamOptions::default(),
            file,
        })
    }

    /// Sets the timeout of every accepted connection.
    pub fn with_stream_options(mut self, options: StreamOptions) -> Self {
        self.stream_options = options;
        self
    }

    /// The socket file's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

impl Transport for UnixStreamTransport {
    type Request = StreamRequest<UnixStream>;

    fn server_address(&self) -> String {
        self.file.path.display().to_string()
    }

    fn get_request(&self) -> io::Result<Option<Self::Request>> {
        match self.listener.accept() {
            Ok((stream, peer)) => {
                stream.set_read_timeout(self.stream_options.timeout)?;
                stream.set_write_timeout(self.stream_options.timeout)?;
                let peer = peer
                    .as_pathname()
                    .map_or_else(|| "(unnamed)".to_string(), |p| p.display().to_string());
                Ok(Some(StreamRequest::new(stream, peer)))
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl AsFd for UnixStreamTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.listener.as_fd()
    }
}

/// `UnixDatagramServer`: a datagram socket at a path.
#[derive(Debug)]
pub struct UnixDatagramTransport {
    socket: Arc<UnixDatagram>,
    max_packet_size: usize,
    file: SocketFile,
}

impl UnixDatagramTransport {
    /// Binds `path`.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        SocketFile::remove_stale(path);
        let socket = UnixDatagram::bind(path)?;
        let file = SocketFile::bound(path);
        socket.set_nonblocking(true)?;
        Ok(UnixDatagramTransport {
            socket: Arc::new(socket),
            max_packet_size: MAX_PACKET_SIZE,
            file,
        })
    }

    /// Sets the largest request accepted.
    pub fn with_max_packet_size(mut self, size: usize) -> Self {
        self.max_packet_size = size;
        self
    }

    /// The socket file's path.
    pub fn path(&self) -> &Path {
        &self.file.path
    }
}

impl Transport for UnixDatagramTransport {
    type Request = DatagramRequest<UnixDatagram>;

    fn server_address(&self) -> String {
        self.file.path.display().to_string()
    }

    fn get_request(&self) -> io::Result<Option<Self::Request>> {
        let socket = &self.socket;
        receive_datagram(self.max_packet_size, |buf| socket.recv_from(buf)).map(|got| {
            got.map(|(packet, from)| DatagramRequest::new(packet, from, Arc::clone(socket)))
        })
    }
}

impl AsFd for UnixDatagramTransport {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.socket.as_fd()
    }
}
