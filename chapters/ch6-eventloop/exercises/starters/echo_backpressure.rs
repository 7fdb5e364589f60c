// Exercise ch6-echo-backpressure: A whole event-loop server: echo, partial writes, and backpressure
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch6-echo-backpressure -- --port 0`
// Check it: `cargo exercise check ch6-echo-backpressure`. Stuck? `cargo exercise hint ch6-echo-backpressure`.

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
        // TODO: loop: write what is owed until WouldBlock; stop if over CAP or finished; else read (0: finished; n: queue the bytes; WouldBlock: stop)
        todo!(
            "loop: write what is owed until WouldBlock; stop if over CAP or finished; else read (0: finished; n: queue the bytes; WouldBlock: stop)"
        )
    }
}

/// Serves every client of `listener`, for ever.
fn serve(mut listener: TcpListener) -> anyhow::Result<()> {
    // TODO: the mio loop: accept until WouldBlock, register each client for reading and writing, pump it on each event, drop it when over
    todo!(
        "the mio loop: accept until WouldBlock, register each client for reading and writing, pump it on each event, drop it when over"
    )
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
