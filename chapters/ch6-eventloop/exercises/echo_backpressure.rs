//! Exercise ch6-echo-backpressure: a whole event-loop server.
//!
//! A single-threaded `mio` echo server: every byte a client sends comes
//! back to it, in order, however the bytes were cut. A client that sends
//! and does not read must not make the server hold more and more for it
//! (it stops reading from that client while it owes more than `CAP`), nor
//! stop it serving the others. When a client has finished sending, the
//! server writes what it still owes, then closes the connection.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::process::ExitCode;

use book_support::cli::{announce, run};
use clap::Parser;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// Echoes every byte, on one thread, without holding more than `CAP` for
/// a client that does not read.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// Above this many unwritten bytes, stop reading from the client.
const CAP: usize = 64 * 1024;

/// How much one `read` asks for.
const CHUNK: usize = 16 * 1024;

/// What one connection keeps between events.
#[derive(Debug)]
struct Echo {
    socket: TcpStream,
    /// Bytes to send back; `outbox[written..]` is still owed.
    outbox: Vec<u8>,
    written: usize,
    /// The client has finished sending (a read returned 0).
    finished: bool,
}

// ANCHOR: task
impl Echo {
    /// Does all the socket allows now (mio is edge-triggered: nothing is
    /// left that a new event would have to announce): writes what is owed,
    /// reads while the connection owes at most `CAP`. `Ok(false)` when
    /// the connection is over.
    fn pump(&mut self, scratch: &mut [u8]) -> io::Result<bool> {
        // EXERCISE: loop: write what is owed until WouldBlock; stop if over CAP or finished; else read (0: finished; n: queue the bytes; WouldBlock: stop)
        loop {
            while self.written < self.outbox.len() {
                match self.socket.write(&self.outbox[self.written..]) {
                    Ok(0) => return Err(ErrorKind::WriteZero.into()),
                    Ok(n) => self.written += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.written == self.outbox.len() {
                self.outbox.clear();
                self.written = 0;
            }
            let owed = self.outbox.len() - self.written;
            if self.finished || owed > CAP {
                return Ok(!self.finished || owed > 0);
            }
            match self.socket.read(scratch) {
                Ok(0) => self.finished = true,
                Ok(n) => self.outbox.extend_from_slice(&scratch[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // END EXERCISE
    }
}

/// Serves every client of `listener`, for ever.
fn serve(mut listener: TcpListener) -> anyhow::Result<()> {
    // EXERCISE: the mio loop: accept until WouldBlock, register each client for reading and writing, pump it on each event, drop it when over
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut clients: HashMap<Token, Echo> = HashMap::new();
    let mut scratch = vec![0; CHUNK];
    let mut next = 1;
    loop {
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            result => result?,
        }
        for event in &events {
            if event.token() == Token(0) {
                loop {
                    let mut socket = match listener.accept() {
                        Ok((socket, _)) => socket,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                        Err(e) => {
                            eprintln!("accept failed: {e}");
                            break;
                        }
                    };
                    let token = Token(next);
                    next += 1;
                    let both = Interest::READABLE | Interest::WRITABLE;
                    poll.registry().register(&mut socket, token, both)?;
                    let echo = Echo {
                        socket,
                        outbox: Vec::new(),
                        written: 0,
                        finished: false,
                    };
                    clients.insert(token, echo);
                }
            } else if let Some(echo) = clients.get_mut(&event.token())
                && !matches!(echo.pump(&mut scratch), Ok(true))
            {
                clients.remove(&event.token()); // done, or vanished
            }
        }
    }
    // END EXERCISE
}
// ANCHOR_END: task

fn main() -> ExitCode {
    run(|| {
        let port = Args::parse().port;
        let listener = TcpListener::bind(([127, 0, 0, 1], port).into())?;
        announce(listener.local_addr()?);
        serve(listener)
    })
}
