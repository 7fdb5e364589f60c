// Exercise ch5-chat-room: A chat room: the handler's life cycle and a whole server
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch5-chat-room -- --port 0`
// Check it: `cargo exercise check ch5-chat-room`. Stuck? `cargo exercise hint ch5-chat-room`.

//! A chat room on this chapter's socketserver: a whole program.
//!
//! Every client is in one room; ADDR is a client's address as the server
//! sees it (`127.0.0.1:PORT`):
//!
//! - a newcomer, once it is in the room, gets `welcome ADDR\n`, and
//!   everybody else gets `ADDR joined\n`;
//! - each whole line a client sends goes to everybody else as
//!   `ADDR: LINE\n` (not back to its sender);
//! - when a client leaves, whether it closed its end or its connection
//!   broke, everybody else gets `ADDR left\n`.
//!
//! Ctrl-C or SIGTERM stops the server: every handler reads the end, says
//! its client left, and the program exits with success.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use book_support::cli::{announce, run};
use ch5_socketserver::concurrency::Threading;
use ch5_socketserver::handler::Handler;
use ch5_socketserver::request::StreamRequest;
use ch5_socketserver::server::Server;
use ch5_socketserver::shutdown::stop_on_signals;
use ch5_socketserver::transport::{BindOptions, TcpTransport, Transport};
use clap::Parser;

/// A chat room: every line goes to every other client.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

// ANCHOR: task
/// The room: each member's address, and a handle on its socket to write to.
#[derive(Debug, Default)]
struct Room {
    members: Mutex<HashMap<String, TcpStream>>,
}

impl Room {
    /// Sends `message` to every member but `from`. A member whose
    /// connection broke is skipped: its own handler says it left.
    fn tell_others(members: &HashMap<String, TcpStream>, from: &str, message: &[u8]) {
        for (address, mut socket) in members.iter() {
            if address != from {
                let _ = socket.write_all(message);
            }
        }
    }
}

impl Handler<StreamRequest<TcpStream>> for Room {
    fn setup(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        // TODO: under the room's lock: greet the newcomer, tell the others it joined, put it in the room
        todo!(
            "under the room's lock: greet the newcomer, tell the others it joined, put it in the room"
        )
    }

    fn handle(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        // TODO: read whole lines until the client leaves; pass each on to everybody else as `ADDR: LINE`
        todo!(
            "read whole lines until the client leaves; pass each on to everybody else as `ADDR: LINE`"
        )
    }

    fn finish(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        // TODO: take the client out of the room and tell the others it left (this runs even when handle failed)
        todo!(
            "take the client out of the room and tell the others it left (this runs even when handle failed)"
        )
    }
}

/// Serves the room on `transport` until Ctrl-C or SIGTERM.
fn serve(transport: TcpTransport) -> anyhow::Result<()> {
    // TODO: make a Server of the transport, a Room and the threading model; stop it on signals; serve_forever
    todo!(
        "make a Server of the transport, a Room and the threading model; stop it on signals; serve_forever"
    )
}
// ANCHOR_END: task

fn main() -> ExitCode {
    run(|| {
        let port = Args::parse().port;
        let transport = TcpTransport::bind(("127.0.0.1", port), &BindOptions::default())
            .with_context(|| format!("cannot listen on port {port}"))?;
        announce(transport.server_address());
        serve(transport)
    })
}
