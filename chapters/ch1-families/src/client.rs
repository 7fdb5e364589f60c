//! The echo client, for every transport.
//!
//! It talks in one of two ways:
//!
//! - **one line at a time** ([`Client::echo`]): send a line, wait for its
//!   echo, print it. On a stream the echo may come back in pieces, so the
//!   client reads until it has as many bytes as it sent: a stream has no
//!   messages, only bytes in order.
//! - **everything first** ([`Client::send_all_then_read`]): send every line,
//!   wait until all the echoes have arrived, and only then read. What each
//!   read returns shows where the socket type keeps message boundaries and
//!   where it does not.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use socket2::{SockAddr, Socket};

use crate::address::{Endpoint, UnixAddress};
use crate::datagram::{Received, next_message_size};
use crate::socket_file::SocketFile;
use crate::transport::Transport;

/// How long the client waits for a connection or an answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// At most this many messages may be sent before reading. A Unix datagram
/// socket queues at most 10 datagrams by default (`net.unix.max_dgram_qlen`);
/// beyond that the sender blocks while nobody reads the replies.
pub const MAX_BATCH_MESSAGES: usize = 10;

/// At most this many bytes may be sent before reading, well within the
/// socket buffers of both ends (about 200 KiB each on Linux): the client
/// reads nothing until it has sent everything, so whatever does not fit in
/// the buffers would wait forever.
pub const MAX_BATCH_BYTES: usize = 32 * 1024;

/// The address a Unix datagram client gives its own socket, so the server
/// can reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnAddress {
    /// An abstract name the kernel picks (Linux's "autobind"): nothing to
    /// choose, nothing to clean up.
    Automatic,
    /// A path or abstract name of our choice.
    Named(UnixAddress),
    /// None at all: the server receives our datagrams but cannot reply.
    Unbound,
}

impl OwnAddress {
    /// The address the command-line options choose: `--bind PATH` (or
    /// `@name`), `--unbound`, or neither. Both are for Unix datagrams only.
    pub fn from_options(
        transport: Transport,
        bind: Option<&str>,
        unbound: bool,
    ) -> Result<OwnAddress> {
        if (bind.is_some() || unbound) && transport != Transport::UnixDgram {
            bail!("--bind and --unbound are for --transport unix-dgram");
        }
        Ok(match (bind, unbound) {
            (Some(bind), _) => OwnAddress::Named(UnixAddress::parse(bind)?),
            (None, true) => OwnAddress::Unbound,
            (None, false) => OwnAddress::Automatic,
        })
    }
}

/// How to start a client.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The family and type.
    pub transport: Transport,
    /// The server's address.
    pub endpoint: Endpoint,
    /// Our own address; only a Unix datagram client needs one chosen.
    pub own_address: OwnAddress,
    /// The size of each read, in bytes.
    pub buffer: usize,
    /// How long to wait for the connection and for each answer.
    pub timeout: Duration,
}

/// A client connected to an echo server.
#[derive(Debug)]
pub struct Client {
    transport: Transport,
    socket: Socket,
    server: String,
    buffer: usize,
    timeout: Duration,
    unbound: bool,
    socket_file: Option<SocketFile>,
}

// ANCHOR: connect
/// Creates the socket, gives it an address if it needs one, and connects.
pub fn connect(options: &ClientOptions) -> Result<Client> {
    let ClientOptions {
        transport,
        endpoint,
        timeout,
        ..
    } = options;
    let socket = Socket::new(endpoint.domain(), transport.socket_type(), None)
        .with_context(|| format!("cannot create a {transport} socket"))?;
    let mut socket_file = None;
    if *transport == Transport::UnixDgram {
        socket_file = bind_own_address(&socket, &options.own_address)?;
    }
    let server = endpoint.to_sockaddr()?;
    // For TCP, connect is the handshake; for a Unix stream or seqpacket
    // socket, joining the server's accept queue. For a datagram socket it
    // sends nothing: it sets the address `send` goes to, and makes the
    // socket accept datagrams from that address only.
    let connected = match endpoint {
        Endpoint::Ip(_) if *transport == Transport::Tcp => {
            socket.connect_timeout(&server, *timeout)
        }
        _ => socket.connect(&server),
    };
    connected.with_context(|| format!("cannot connect to {endpoint} ({transport})"))?;
    socket
        .set_read_timeout(Some(*timeout))
        .and_then(|()| socket.set_write_timeout(Some(*timeout)))
        .context("cannot set timeouts")?;
    Ok(Client {
        transport: *transport,
        socket,
        server: endpoint.to_string(),
        buffer: options.buffer,
        timeout: *timeout,
        unbound: *transport == Transport::UnixDgram && options.own_address == OwnAddress::Unbound,
        socket_file,
    })
}
// ANCHOR_END: connect

// ANCHOR: bind_own_address
/// A Unix datagram client must bind an address of its own, or the server
/// has nowhere to send the reply. (A UDP or TCP client needs no such care:
/// `connect` gives it a free port of the kernel's choosing. A Unix socket
/// gets no such gift, except on Linux when asked with an empty address.)
fn bind_own_address(socket: &Socket, own: &OwnAddress) -> Result<Option<SocketFile>> {
    match own {
        OwnAddress::Unbound => Ok(None),
        OwnAddress::Automatic => {
            if !cfg!(any(target_os = "linux", target_os = "android")) {
                bail!("this system cannot pick a name for us: give --bind PATH");
            }
            // An empty address asks Linux to pick an abstract name ("autobind").
            let any = SockAddr::unix("").context("cannot make an empty address")?;
            socket
                .bind(&any)
                .context("cannot bind to an automatic address")?;
            Ok(None)
        }
        OwnAddress::Named(address) => {
            socket
                .bind(&address.to_sockaddr()?)
                .with_context(|| format!("cannot bind our own socket to {address}"))?;
            address
                .path()
                .map(SocketFile::created_at)
                .transpose()
                .context("cannot find the socket file bind created")
        }
    }
}
// ANCHOR_END: bind_own_address

impl Client {
    /// Our socket's file, if we bound it to a path.
    pub fn socket_file(&self) -> Option<&SocketFile> {
        self.socket_file.as_ref()
    }

    /// Sends one message: one datagram or seqpacket message, or bytes
    /// appended to the stream.
    pub fn send(&self, message: &[u8]) -> Result<()> {
        let context = || format!("cannot send {} bytes to {}", message.len(), self.server);
        if self.transport.keeps_message_boundaries() {
            // All or nothing: a message too big for the type is an error
            // (EMSGSIZE), never a partial send.
            let sent = self.socket.send(message).with_context(context)?;
            if sent != message.len() {
                bail!("sent only {sent} of {} bytes as one message", message.len());
            }
        } else {
            (&self.socket).write_all(message).with_context(context)?;
        }
        Ok(())
    }

    /// One read of at most `limit` bytes (and at most the buffer size).
    /// `None` when a connection has ended.
    pub fn receive(&self, limit: usize) -> Result<Option<Received>> {
        let mut buf = vec![0; limit.min(self.buffer)];
        let size = if self.transport.keeps_message_boundaries() {
            next_message_size(&self.socket).map_err(|e| self.no_answer(e))?
        } else {
            None
        };
        let n = (&self.socket)
            .read(&mut buf)
            .map_err(|e| self.no_answer(e))?;
        if n == 0 && self.transport.is_connection_oriented() {
            return Ok(None);
        }
        Ok(Some(Received::new(&buf[..n], size)))
    }

    /// The error for a read that failed, in words that say why.
    fn no_answer(&self, err: io::Error) -> anyhow::Error {
        let hint = match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut if self.unbound => {
                " (our socket is not bound, so the server has no address to reply to)"
            }
            io::ErrorKind::ConnectionRefused if self.transport == Transport::Udp => {
                " (nothing receives on that port: the kernel answered with ICMP \"port unreachable\")"
            }
            _ => "",
        };
        let what = match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                format!(
                    "no answer from {} within {:?}{hint}",
                    self.server, self.timeout
                )
            }
            _ => format!("no answer from {}{hint}", self.server),
        };
        anyhow::Error::new(err).context(what)
    }

    // ANCHOR: echo
    /// Sends one message and returns its echo.
    pub fn echo(&self, message: &[u8]) -> Result<Received> {
        self.send(message)?;
        if self.transport.keeps_message_boundaries() {
            // One message out, one message back.
            return self
                .receive(self.buffer)?
                .context("the server closed the connection instead of answering");
        }
        // A stream has no messages: read until as many bytes came back as
        // we sent, however many reads that takes, and never more (the
        // bytes after them would belong to the next echo).
        let mut echoed = Vec::with_capacity(message.len());
        while echoed.len() < message.len() {
            match self.receive(message.len() - echoed.len())? {
                Some(piece) => echoed.extend_from_slice(&piece.bytes),
                None => bail!(
                    "the server closed the connection after echoing {} of {} bytes",
                    echoed.len(),
                    message.len()
                ),
            }
        }
        Ok(Received::new(&echoed, None))
    }
    // ANCHOR_END: echo

    // ANCHOR: send_all_then_read
    /// Sends every message, waits until all the echoes are here, then reads
    /// them, and returns what each read returned.
    ///
    /// Waiting is what makes the result certain rather than a matter of
    /// timing. With a connection we close our sending side; the server
    /// echoes what is left and closes too; once its close has arrived,
    /// everything it sent before has arrived. A datagram needs no waiting:
    /// whenever it is read, it is read whole and alone.
    pub fn send_all_then_read(&self, messages: &[Vec<u8>]) -> Result<Vec<Received>> {
        let total: usize = messages.iter().map(Vec::len).sum();
        if messages.len() > MAX_BATCH_MESSAGES || total > MAX_BATCH_BYTES {
            bail!(
                "sending everything before reading is for a few short lines: at most \
                 {MAX_BATCH_MESSAGES} lines and {MAX_BATCH_BYTES} bytes (socket buffers and \
                 queues are finite, and nobody reads until everything is sent); got {} lines, \
                 {total} bytes",
                messages.len()
            );
        }
        for message in messages {
            self.send(message)?;
        }
        let mut reads = Vec::new();
        if self.transport.is_datagram() {
            for _ in messages {
                reads.extend(self.receive(self.buffer)?);
            }
            return Ok(reads);
        }
        self.socket
            .shutdown(Shutdown::Write)
            .context("cannot shut down our sending side")?;
        self.wait_until_server_closes()?;
        while let Some(piece) = self.receive(self.buffer)? {
            reads.push(piece);
        }
        Ok(reads)
    }
    // ANCHOR_END: send_all_then_read

    /// Waits until the server has closed its end of the connection, with
    /// `poll`. On Linux, `POLLRDHUP` says "the peer will send nothing more".
    fn wait_until_server_closes(&self) -> Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const CLOSED: libc::c_short = libc::POLLRDHUP;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        const CLOSED: libc::c_short = libc::POLLHUP;

        let deadline = Instant::now() + self.timeout;
        let mut fds = [libc::pollfd {
            fd: self.socket.as_raw_fd(),
            events: CLOSED,
            revents: 0,
        }];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let millis = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
            // SAFETY: `fds` is a valid array of one pollfd, and we pass its length.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, millis) };
            if ready < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(err).context("poll failed");
            }
            if ready == 0 {
                bail!(
                    "{} did not close the connection within {:?}",
                    self.server,
                    self.timeout
                );
            }
            if fds[0].revents & (CLOSED | libc::POLLHUP | libc::POLLERR) != 0 {
                return Ok(());
            }
        }
    }
}
