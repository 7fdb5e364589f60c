// Exercise ch6-line-buffer: An event loop's connection state: split lines, stuck lines, partial writes
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch6-line-buffer -- --port 0`
// Check it: `cargo exercise check ch6-line-buffer`. Stuck? `cargo exercise hint ch6-line-buffer`.

//! Exercise ch6-line-buffer: the per-connection state of an event loop.
//!
//! A complete single-threaded `mio` server for the upper-casing protocol
//! (a line in; the line stripped and upper-cased back, no newline; a blank
//! line gets no answer). Its loop is written; what each connection keeps
//! between events is yours: the bytes of a line not yet finished, and the
//! answers not yet written.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::process::ExitCode;

use book_support::cli::{announce, run};
use clap::Parser;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// Serves the upper-casing protocol on one thread.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

// ANCHOR: task
/// What one connection keeps between events.
#[derive(Debug, Default)]
struct LineBuffer {
    /// Bytes received after the last newline.
    inbox: Vec<u8>,
    /// Answers not yet written.
    outbox: Vec<u8>,
}

impl LineBuffer {
    /// Takes the bytes of one `read`, which may hold part of a line, one
    /// line, or many: answers every whole line (stripped, upper-cased, no
    /// newline; nothing for a blank line) into `outbox`, keeps the rest.
    fn receive(&mut self, bytes: &[u8]) {
        // TODO: split the bytes into lines across reads and queue each answer
        todo!("split the bytes into lines across reads and queue each answer")
    }

    /// Writes as much of `outbox` as the socket takes now; a write may take
    /// only part, and `WouldBlock` means "full, try again when writable".
    fn flush(&mut self, socket: &mut impl Write) -> io::Result<()> {
        // TODO: write until outbox is empty or the socket would block, keeping what is unwritten
        todo!("write until outbox is empty or the socket would block, keeping what is unwritten")
    }
}
// ANCHOR_END: task

/// Reads everything the socket has (mio is edge-triggered), answering as
/// it goes, then writes. `Ok(false)` when the connection is over.
fn pump(socket: &mut TcpStream, buffer: &mut LineBuffer) -> io::Result<bool> {
    let mut chunk = [0; 4096];
    let mut open = true;
    loop {
        match socket.read(&mut chunk) {
            Ok(0) => {
                open = false;
                break;
            }
            Ok(n) => buffer.receive(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        flush_if_owed(socket, buffer)?;
    }
    flush_if_owed(socket, buffer)?;
    Ok(open || !buffer.outbox.is_empty())
}

/// Writes only when there is something to write: a connection that is
/// merely writable (as a new one is at once) owes nothing yet.
fn flush_if_owed(socket: &mut TcpStream, buffer: &mut LineBuffer) -> io::Result<()> {
    if buffer.outbox.is_empty() {
        return Ok(());
    }
    buffer.flush(socket)
}

fn serve(port: u16) -> anyhow::Result<()> {
    let mut listener = TcpListener::bind(([127, 0, 0, 1], port).into())?;
    announce(listener.local_addr()?);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)?;
    let mut events = Events::with_capacity(256);
    let mut conns: HashMap<Token, (TcpStream, LineBuffer)> = HashMap::new();
    let mut next = 1;
    loop {
        poll.poll(&mut events, None).or_else(|e| {
            if e.kind() == ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        for event in &events {
            if event.token() == Token(0) {
                while let Ok((mut stream, _)) = listener.accept() {
                    let token = Token(next);
                    next += 1;
                    let both = Interest::READABLE | Interest::WRITABLE;
                    poll.registry().register(&mut stream, token, both)?;
                    conns.insert(token, (stream, LineBuffer::default()));
                }
            } else if let Some((stream, buffer)) = conns.get_mut(&event.token())
                && !matches!(pump(stream, buffer), Ok(true))
            {
                conns.remove(&event.token()); // done, or vanished
            }
        }
    }
}

fn main() -> ExitCode {
    run(|| serve(Args::parse().port))
}
