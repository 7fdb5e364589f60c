//! The event loop done properly, on `mio`: epoll on Linux, kqueue on BSDs.
//!
//! The difference from the `poll(2)` loop: the interest list lives in the
//! kernel. A connection is registered once; each turn the kernel hands back
//! only the descriptors that became ready, so a turn costs O(ready), not
//! O(connections). mio's readiness is edge-triggered: an event says "this
//! changed", once, so a handler must work until `WouldBlock`
//! ([`Connection::pump`] does), or it waits for an event that never comes.

use std::io::{self, ErrorKind};
use std::net::TcpListener as StdListener;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::time::Instant;

use mio::net::{TcpListener, TcpStream, UnixStream};
use mio::{Events, Interest, Poll, Token};

use crate::conn::{Connection, Pumped, READ_CHUNK};
use crate::listen::{Backoff, GRACE, earliest};
use crate::poll_loop::is_transient;

// ANCHOR: tokens
/// The listening socket's token.
const LISTENER: Token = Token(0);
/// The signal pipe's token.
const SIGNAL: Token = Token(1);
/// Connection `i` of the table has token `FIRST + i`.
const FIRST: usize = 2;
// ANCHOR_END: tokens

// ANCHOR: table
/// The open connections, by token. A freed slot is reused, so tokens stay
/// small and the table never grows past the most connections at once.
#[derive(Debug, Default)]
struct Table {
    slots: Vec<Option<(TcpStream, Connection)>>,
    free: Vec<usize>,
    open: usize,
}

impl Table {
    fn insert(&mut self, entry: (TcpStream, Connection)) -> Token {
        self.open += 1;
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.slots[i] = Some(entry);
        Token(FIRST + i)
    }

    fn get(&mut self, token: Token) -> Option<&mut (TcpStream, Connection)> {
        self.slots.get_mut(token.0.checked_sub(FIRST)?)?.as_mut()
    }

    /// Forgets a connection; dropping the stream closes it, and a closed
    /// descriptor leaves epoll's interest list by itself.
    fn remove(&mut self, token: Token) {
        let i = token.0 - FIRST;
        if self.slots[i].take().is_some() {
            self.open -= 1;
            self.free.push(i);
        }
    }

    fn tokens(&self) -> Vec<Token> {
        let used = self.slots.iter().enumerate().filter(|(_, s)| s.is_some());
        used.map(|(i, _)| Token(FIRST + i)).collect()
    }
}
// ANCHOR_END: table

/// Serves until `stop` becomes readable, then finishes what is in flight.
pub fn serve(listener: StdListener, stop: StdUnixStream) -> io::Result<()> {
    MioLoop::new(listener, stop)?.run()
}

/// A `mio` loop, set up and not yet running: its epoll, with the listening
/// socket and the stop signal registered.
#[derive(Debug)]
pub struct MioLoop {
    poll: Poll,
    listener: Option<TcpListener>,
    /// Registered, never read: its one event is the signal to stop.
    _stop: UnixStream,
}

// ANCHOR: mio_loop
impl MioLoop {
    /// Makes the epoll and registers `listener` and `stop` with it.
    pub fn new(listener: StdListener, stop: StdUnixStream) -> io::Result<MioLoop> {
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        let mut stop = UnixStream::from_std(stop);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        poll.registry()
            .register(&mut stop, SIGNAL, Interest::READABLE)?;
        Ok(MioLoop {
            poll,
            listener: Some(listener),
            _stop: stop,
        })
    }

    /// Serves until the stop signal comes, then finishes what is in flight.
    pub fn run(self) -> io::Result<()> {
        let MioLoop {
            mut poll,
            mut listener,
            _stop,
        } = self;
        let mut events = Events::with_capacity(1024);
        let mut table = Table::default();
        let mut scratch = vec![0; READ_CHUNK];
        let mut deadline: Option<Instant> = None;
        let mut backoff = Backoff::default();
        loop {
            // Wait for events, or until a pause or a shutdown's grace ends.
            let wake = earliest(deadline, backoff.until());
            let timeout = wake.map(|d| d.saturating_duration_since(Instant::now()));
            if let Err(e) = poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for event in &events {
                match event.token() {
                    LISTENER => {
                        // Paused, it leaves newcomers queued for the retry below.
                        if let Some(l) = &listener
                            && backoff.until().is_none()
                        {
                            accept_all(l, &poll, &mut table, &mut backoff)?;
                        }
                    }
                    SIGNAL => {
                        if deadline.is_none() {
                            // Stop accepting: the closed socket refuses newcomers.
                            listener = None;
                            eprintln!("shutting down: {} connection(s) to finish", table.open);
                            for token in table.tokens() {
                                let (stream, conn) = table.get(token).expect("a listed token");
                                if !matches!(conn.finish(stream, &mut scratch), Ok(Pumped::Open)) {
                                    table.remove(token);
                                }
                            }
                            deadline = Some(Instant::now() + GRACE);
                        }
                    }
                    token => {
                        let Some((stream, conn)) = table.get(token) else {
                            continue; // closed earlier in this batch
                        };
                        // Readable, writable, closed or in error: pump finds out.
                        let mut state = conn.pump(stream, &mut scratch);
                        if event.is_read_closed() && matches!(state, Ok(Pumped::Open)) {
                            // The peer's FIN came with this event: a short read
                            // stopped before it, and no new event will tell.
                            state = conn.pump(stream, &mut scratch);
                        }
                        if !matches!(state, Ok(Pumped::Open)) {
                            table.remove(token);
                        }
                    }
                }
            }
            // A pause is over: the connections queued meanwhile sent their only
            // event long ago, so try again now, event or not.
            if backoff.ended()
                && let Some(l) = &listener
            {
                accept_all(l, &poll, &mut table, &mut backoff)?;
            }
            if let Some(d) = deadline
                && (table.open == 0 || Instant::now() >= d)
            {
                eprintln!("stopped");
                return Ok(());
            }
        }
    }
}
// ANCHOR_END: mio_loop

// ANCHOR: accept
/// Accepts every waiting connection and registers it for both directions,
/// once. Edge-triggered: the loop must accept until `WouldBlock`, or, out
/// of descriptors, come back when `backoff`'s pause ends.
fn accept_all(
    listener: &TcpListener,
    poll: &Poll,
    table: &mut Table,
    backoff: &mut Backoff,
) -> io::Result<()> {
    let log = |line: &str| eprintln!("{line}");
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                backoff.accepted(log);
                let token = table.insert((stream, Connection::new()));
                let (stream, _) = table.get(token).expect("just inserted");
                poll.registry()
                    .register(stream, token, Interest::READABLE | Interest::WRITABLE)?;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if is_transient(&e) => {}
            Err(e) => {
                if backoff.failed(&e, log) {
                    return Ok(()); // out of descriptors: until the pause ends
                }
            }
        }
    }
}
// ANCHOR_END: accept
