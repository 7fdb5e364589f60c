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
    fn earliest_of_two_deadlines() {
        let now = Instant::now();
        let later = now + Duration::from_secs(1);
        assert_eq!(earliest(Some(now), Some(later)), Some(now));
        assert_eq!(earliest(None, Some(later)), Some(later));
        assert_eq!(earliest(Some(now), None), Some(now));
        assert_eq!(earliest(None, None), None);
    }
}
