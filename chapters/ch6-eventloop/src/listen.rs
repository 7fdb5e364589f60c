//! The listening socket every model of this chapter shares, and what an
//! event loop does when `accept` finds no descriptor free.

use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use book_support::accept::{ACCEPT_BACKOFF, AcceptPause};
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
    let addr = resolve(host, port)?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket
        .bind(&addr.into())
        .with_context(|| format!("cannot listen on {host}:{port}"))?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

// ANCHOR: shared
/// Binds `loops` listening sockets to one address with `SO_REUSEPORT`, for
/// one event loop each. The first binds `host:port` (port 0: the system
/// chooses); the others bind the address the first got. The kernel then
/// hands each new connection to one of them, by a hash of the client's
/// address and port, and only a socket of the same user may join the group.
pub fn bind_shared(host: &str, port: u16, loops: usize) -> Result<Vec<TcpListener>> {
    let mut addr = resolve(host, port)?;
    let mut listeners = Vec::with_capacity(loops);
    for _ in 0..loops.max(1) {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket
            .bind(&addr.into())
            .with_context(|| format!("cannot listen on {addr}"))?;
        socket.listen(BACKLOG)?;
        let listener: TcpListener = socket.into();
        addr = listener.local_addr()?; // the port the system chose, for the rest
        listeners.push(listener);
    }
    Ok(listeners)
}
// ANCHOR_END: shared

fn resolve(host: &str, port: u16) -> Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .with_context(|| format!("no address for {host}"))
}

// ANCHOR: backoff
/// What an event loop remembers after `accept` ran out of descriptors: the
/// episode, so that it is logged once, and until when not to accept.
///
/// A blocking accept loop sleeps through the pause
/// ([`book_support::accept::AcceptPause`]). An event loop must not: its
/// one thread serves every client it has, and a client that leaves is what
/// frees a descriptor. So it stops watching the listening socket, makes
/// [`Backoff::until`] the longest it waits, and tries again after it.
#[derive(Debug, Default)]
pub struct Backoff {
    until: Option<Instant>,
    episode: AcceptPause,
}

impl Backoff {
    /// After `accept` failed with `err`: logs it (a shortage only when the
    /// episode starts, in the words of `AcceptPause`) and, for a shortage,
    /// pauses accepting for [`ACCEPT_BACKOFF`] and returns `true`.
    pub fn failed(&mut self, err: &io::Error, log: impl FnOnce(&str)) -> bool {
        let shortage = self.episode.note_failure(err, log);
        if shortage {
            self.until = Some(Instant::now() + ACCEPT_BACKOFF);
        }
        shortage
    }

    /// After `accept` worked: ends an episode, saying so.
    pub fn accepted(&mut self, log: impl FnOnce(&str)) {
        self.until = None;
        self.episode.accepted(log);
    }

    /// When a pause ends, while one lasts: the loop waits no longer.
    pub fn until(&self) -> Option<Instant> {
        self.until.filter(|&t| Instant::now() < t)
    }

    /// Whether a pause has just ended (once per pause): an edge-triggered
    /// loop must then try `accept` without waiting for an event, because
    /// the connections already queued announce themselves no more.
    pub fn ended(&mut self) -> bool {
        let ended = self.until.is_some_and(|t| Instant::now() >= t);
        if ended {
            self.until = None;
        }
        ended
    }
}
// ANCHOR_END: backoff

/// The earlier of two deadlines, either of which may be absent.
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emfile() -> io::Error {
        io::Error::from_raw_os_error(libc::EMFILE)
    }

    #[test]
    fn a_shortage_pauses_and_is_logged_once_in_the_words_of_accept_pause() {
        let mut backoff = Backoff::default();
        let mut lines = Vec::new();
        for _ in 0..3 {
            assert!(backoff.failed(&emfile(), |l| lines.push(l.to_string())));
            assert!(backoff.until().is_some());
        }
        backoff.accepted(|l| lines.push(l.to_string()));
        backoff.accepted(|l| lines.push(l.to_string()));
        assert!(backoff.until().is_none());
        // The same two lines as a blocking loop's (which sleeps for them).
        let mut theirs = Vec::new();
        let mut pause = AcceptPause::default();
        pause.failed(&emfile(), |l| theirs.push(l.to_string()));
        pause.accepted(|l| theirs.push(l.to_string()));
        assert_eq!(lines, theirs);
    }

    #[test]
    fn other_errors_are_logged_every_time_and_do_not_pause() {
        let mut backoff = Backoff::default();
        let mut lines = 0;
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        assert!(!backoff.failed(&reset, |_| lines += 1));
        assert!(!backoff.failed(&reset, |_| lines += 1));
        assert_eq!(lines, 2);
        assert!(backoff.until().is_none());
        assert!(!backoff.ended());
    }

    #[test]
    fn a_pause_ends_once() {
        let mut backoff = Backoff::default();
        backoff.failed(&emfile(), |_| {});
        assert!(!backoff.ended(), "it has only begun");
        backoff.until = Some(Instant::now());
        assert!(backoff.until().is_none());
        assert!(backoff.ended());
        assert!(!backoff.ended());
    }

    #[test]
    fn shared_listeners_have_one_port_and_each_gets_connections() {
        let listeners = bind_shared("127.0.0.1", 0, 2).unwrap();
        let addr = listeners[0].local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        assert_eq!(listeners[1].local_addr().unwrap(), addr);
        // 64 clients, 64 source ports: the kernel's hash gives each socket
        // some (all 64 to one would happen once in 2^63 runs).
        let clients: Vec<_> = (0..64)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        let mut accepted = [0, 0];
        for listener in &listeners {
            listener.set_nonblocking(true).unwrap();
        }
        // Bounded: a handshake may still be on its way to a queue.
        let deadline = Instant::now() + Duration::from_secs(10);
        while accepted.iter().sum::<usize>() < clients.len() && Instant::now() < deadline {
            for (i, listener) in listeners.iter().enumerate() {
                loop {
                    match listener.accept() {
                        Ok(_) => accepted[i] += 1,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            std::thread::yield_now();
        }
        assert_eq!(accepted.iter().sum::<usize>(), 64, "{accepted:?}");
        assert!(accepted.iter().all(|&n| n > 0), "{accepted:?}");
    }

    #[test]
    fn earliest_of_two_deadlines() {
        let now = Instant::now();
        let later = now + Duration::from_secs(1);
        assert_eq!(earliest(Some(now), Some(later)), Some(now));
        assert_eq!(earliest(None, Some(later)), Some(later));
        assert_eq!(earliest(Some(now), None), Some(now));
        assert_eq!(earliest(None, None), None);
    }
}
