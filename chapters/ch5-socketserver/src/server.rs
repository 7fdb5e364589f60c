//! The server: `BaseServer`'s loop, generic over the three things that vary.
//!
//! ```text
//! Server<T: Transport, H: Handler<T::Request>, M: ConcurrencyModel>
//! ```
//!
//! Python's `ThreadingTCPServer(addr, MyTCPHandler)` is here
//! `Server::new(TcpTransport::bind(addr, &options)?, MyHandler, Threading::new())`.
//! The compiler checks that the handler fits the transport's requests (a
//! stream handler cannot be given to a UDP server), and each combination is
//! compiled into its own loop with no dynamic dispatch in it.

use std::io::{self, ErrorKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use book_support::accept::{ACCEPT_BACKOFF, AcceptPause, out_of_resources};
use book_support::cli::announce;

use crate::concurrency::ConcurrencyModel;
use crate::handler::{Handler, RequestError, finish_request};
use crate::request::Request;
use crate::shutdown::{Connections, Shared, ShutdownHandle, raw, stop_on_signals};
use crate::transport::Transport;

/// What [`Server::handle_request`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// It handled (or started, or rejected) one request.
    Request,
    /// No request came within the timeout: Python calls `handle_timeout()`
    /// here; in Rust the caller gets this value and does what it likes.
    TimedOut,
}

/// Python's poll interval: how often `serve_forever` runs
/// `service_actions` when no client comes. A shutdown does not wait for it.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// A socket server: a transport, a handler, a concurrency model.
///
/// Dropping it is Python's `server_close()` (and the end of a `with`
/// block): open connections stop reading, the model waits for its workers
/// (or not, see `block_on_close`), and the transport closes its socket.
#[derive(Debug)]
pub struct Server<T, H, M>
where
    T: Transport,
    H: Handler<T::Request>,
    M: ConcurrencyModel,
{
    // `drop` waits for the model's workers before any field is dropped, so
    // the listening socket closes after the last in-flight request ends.
    model: M,
    transport: T,
    handler: Arc<H>,
    shared: Arc<Shared>,
}

impl<T, H, M> Server<T, H, M>
where
    T: Transport,
    H: Handler<T::Request>,
    M: ConcurrencyModel,
{
    /// A server on a bound transport.
    pub fn new(transport: T, handler: H, model: M) -> io::Result<Self> {
        Ok(Server {
            model,
            transport,
            handler: Arc::new(handler),
            shared: Shared::new()?,
        })
    }

    /// Python's `server_address`: the real address, port 0 resolved.
    pub fn server_address(&self) -> String {
        self.transport.server_address()
    }

    /// The transport, for its typed address and socket options.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The concurrency model, to ask how many workers run.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The open connections.
    pub fn connections(&self) -> &Connections {
        self.shared.connections()
    }

    /// A handle another thread (or a signal) can stop `serve_forever` with.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle::new(Arc::clone(&self.shared))
    }

    // ANCHOR: serve_forever
    /// Serves requests until a [`ShutdownHandle`] asks it to stop.
    ///
    /// It sleeps in `poll(2)` until a client comes or a shutdown is asked;
    /// `poll_interval` only bounds how long `service_actions` (reaping
    /// children) may wait when nothing happens.
    pub fn serve_forever(&mut self, poll_interval: Duration) -> io::Result<()> {
        let _running = self.shared.enter();
        // After `accept` ran out of descriptors, the loop does not poll the
        // listening socket for a while: it would be readable again at once,
        // and the loop would spin. The episode is logged once.
        let mut backoff_until = None;
        let mut episode = AcceptPause::default();
        loop {
            if self.shared.take_request() {
                break;
            }
            let backing_off = backoff_until.is_some_and(|t| Instant::now() < t);
            let accepting = !backing_off && self.model.ready();
            let mut fds = [
                pollfd(raw(self.shared.wake_fd())),
                pollfd(raw(self.transport.as_fd())),
            ];
            let watched = if accepting { 2 } else { 1 };
            let wait = if backing_off {
                poll_interval.min(ACCEPT_BACKOFF)
            } else {
                poll_interval
            };
            poll(&mut fds[..watched], Some(wait))?;
            if fds[0].revents != 0 && self.shared.take_request() {
                break;
            }
            if accepting && fds[1].revents != 0 {
                match self.handle_request_noblock() {
                    Ok(()) => episode.accepted(|line| eprintln!("{line}")),
                    Err(e) if out_of_resources(&e) => {
                        episode.note_failure(&e, |line| eprintln!("{line}"));
                        backoff_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    }
                    Err(e) => {
                        self.handler.handle_error("a client", &RequestError::Io(e));
                        backoff_until = Some(Instant::now() + ACCEPT_BACKOFF);
                    }
                }
            }
            self.model.service_actions();
        }
        // Stop accepting first, then let the open connections run dry.
        self.shared.connections().stop_reading();
        Ok(())
    }
    // ANCHOR_END: serve_forever

    // ANCHOR: serve_until_signalled
    /// What a server program does with its server: stop on SIGTERM and
    /// SIGINT, announce the address, serve until stopped, then close,
    /// letting the requests in flight finish.
    pub fn serve_until_signalled(mut self) -> anyhow::Result<()> {
        // Signals first: a SIGTERM right after the announcement must find
        // the handler in place (the default action would kill the process).
        stop_on_signals(&self.shutdown_handle())?;
        announce(self.server_address());
        self.serve_forever(POLL_INTERVAL)?;
        let running = self.model().active();
        eprintln!("shutting down: waiting for {running} running request(s)");
        drop(self); // server_close: in-flight requests end, the socket closes
        eprintln!("stopped");
        Ok(())
    }
    // ANCHOR_END: serve_until_signalled

    // ANCHOR: handle_request
    /// Python's `handle_request()`: waits at most `timeout` (`None`: for
    /// ever) for one request and handles it.
    pub fn handle_request(&mut self, timeout: Option<Duration>) -> io::Result<Served> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            let mut fds = [pollfd(raw(self.transport.as_fd()))];
            if poll(&mut fds, left)? == 0 {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(Served::TimedOut);
                }
                continue; // a signal interrupted the wait
            }
            if let Some(request) = self.transport.get_request()? {
                self.process(request);
                self.model.service_actions();
                return Ok(Served::Request);
            }
            // Readable, but the client was gone by the time we looked.
        }
    }
    // ANCHOR_END: handle_request

    /// Takes the request that `poll` saw waiting. A bad datagram is
    /// reported to `handle_error` and is no failure to accept; a failure to
    /// accept is returned.
    fn handle_request_noblock(&mut self) -> io::Result<()> {
        match self.transport.get_request() {
            Ok(Some(request)) => {
                self.process(request);
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                self.handler.handle_error("a client", &RequestError::Io(e));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    // ANCHOR: process
    /// `verify_request`, then `process_request` by the concurrency model.
    fn process(&mut self, request: T::Request) {
        if !self.handler.verify_request(&request) {
            return; // dropped: a connection closes unanswered
        }
        let ticket = request
            .stop_handle()
            .map(|socket| self.shared.connections().register(socket));
        let handler = Arc::clone(&self.handler);
        let client = request.client_address();
        let started = self
            .model
            .process_request(request, ticket, move |r| finish_request(&*handler, r));
        if let Err(e) = started {
            self.handler.handle_error(&client, &RequestError::Io(e));
        }
    }
    // ANCHOR_END: process
}

impl<T, H, M> Drop for Server<T, H, M>
where
    T: Transport,
    H: Handler<T::Request>,
    M: ConcurrencyModel,
{
    fn drop(&mut self) {
        self.shared.connections().stop_reading();
        self.model.server_close();
    }
}

fn pollfd(fd: i32) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// `poll(2)` with a timeout (`None`: none); returns how many are ready.
/// An interrupted poll (a signal) counts as nothing ready.
fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    let ms = timeout.map_or(-1, |t| {
        // Round up, so a short timeout is not a busy loop of zero waits.
        let ms = t.as_nanos().div_ceil(1_000_000);
        i32::try_from(ms).unwrap_or(i32::MAX)
    });
    let len = libc::nfds_t::try_from(fds.len()).unwrap_or(libc::nfds_t::MAX);
    // SAFETY: `fds` is a valid, exclusively borrowed array of `len` pollfds.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), len, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == ErrorKind::Interrupted {
            fds.iter_mut().for_each(|f| f.revents = 0);
            return Ok(0);
        }
        return Err(e);
    }
    Ok(usize::try_from(n).unwrap_or(0))
}
