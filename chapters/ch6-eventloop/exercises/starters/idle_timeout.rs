// Exercise ch6-idle-timeout: A timer in the event loop: hang up on clients that go quiet
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch6-idle-timeout -- --port 0 --idle-ms 1000`
// Check it: `cargo exercise check ch6-idle-timeout`. Stuck? `cargo exercise hint ch6-idle-timeout`.

//! Exercise ch6-idle-timeout: a timer in the event loop.
//!
//! A single-threaded `mio` server for the upper-casing protocol (a line
//! in; the line stripped and upper-cased back, no newline; a blank line
//! gets no answer), which closes every connection whose client has sent
//! nothing for `--idle-ms` milliseconds, half a line or not. The loop, the
//! reading and the writing are written (with the chapter's `Connection`);
//! the clock is yours: when each client was last heard from, how long the
//! loop may sleep, and which connections have had their time.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use book_support::cli::{announce, run};
use ch6_eventloop::conn::{Connection, READ_CHUNK};
use clap::Parser;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// Serves the upper-casing protocol on one thread, and hangs up on
/// clients that go quiet.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Close a connection after this many milliseconds without a byte
    /// from its client.
    #[arg(long, default_value_t = 30_000)]
    idle_ms: u64,
}

/// One client: its socket, its lines and answers, and its clock.
#[derive(Debug)]
struct Client {
    socket: TcpStream,
    lines: Connection,
    /// When the last bytes came from the client (at first: when it came).
    heard: Instant,
}

// ANCHOR: task
impl Client {
    /// Reads everything the socket has (mio is edge-triggered), answering
    /// as it goes, and writes what the socket takes. `Ok(false)` when the
    /// connection is over.
    fn pump(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        loop {
            self.lines.flush(&mut self.socket)?;
            if !self.lines.wants_read() {
                break; // the client left, or owes too much: read no more now
            }
            match self.socket.read(scratch) {
                Ok(0) => self.lines.stop_reading(),
                Ok(n) => {
                    // TODO: the client was heard from just now (read the clock here: bytes can come in while the loop works); then give the bytes to self.lines
                    todo!(
                        "the client was heard from just now (read the clock here: bytes can come in while the loop works); then give the bytes to self.lines"
                    )
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.lines.wants_read() || self.lines.owed() > 0)
    }
}

/// How long the loop may sleep in `poll`: until the first client's time is
/// up, or for ever (`None`) when there is no client.
fn next_wakeup(clients: &HashMap<Token, Client>, idle: Duration, now: Instant) -> Option<Duration> {
    // TODO: the time left until the earliest deadline (heard + idle), none when no client
    todo!("the time left until the earliest deadline (heard + idle), none when no client")
}

/// Closes every connection whose client has been quiet for `idle` or more.
fn drop_idle(clients: &mut HashMap<Token, Client>, idle: Duration, now: Instant) {
    // TODO: forget (and so close) every client whose deadline has passed
    todo!("forget (and so close) every client whose deadline has passed")
}
// ANCHOR_END: task

fn serve(port: u16, idle: Duration) -> anyhow::Result<()> {
    let mut listener = TcpListener::bind(([127, 0, 0, 1], port).into())?;
    announce(listener.local_addr()?);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut clients: HashMap<Token, Client> = HashMap::new();
    let mut scratch = vec![0; READ_CHUNK];
    let mut next = 1;
    loop {
        let timeout = next_wakeup(&clients, idle, Instant::now());
        match poll.poll(&mut events, timeout) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            result => result?,
        }
        let now = Instant::now();
        for event in &events {
            if event.token() == Token(0) {
                while let Ok((mut socket, _)) = listener.accept() {
                    let token = Token(next);
                    next += 1;
                    let both = Interest::READABLE | Interest::WRITABLE;
                    poll.registry().register(&mut socket, token, both)?;
                    let lines = Connection::new();
                    let client = Client {
                        socket,
                        lines,
                        heard: now,
                    };
                    clients.insert(token, client);
                }
            } else if let Some(client) = clients.get_mut(&event.token())
                && !matches!(client.pump(&mut scratch), Ok(true))
            {
                clients.remove(&event.token()); // done, or vanished
            }
        }
        drop_idle(&mut clients, idle, Instant::now());
    }
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        serve(args.port, Duration::from_millis(args.idle_ms))
    })
}
