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
        // EXERCISE: under the room's lock: greet the newcomer, tell the others it joined, put it in the room
        let address = request.client_address.clone();
        let mut socket = request.rfile.get_ref().try_clone()?;
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        socket.write_all(format!("welcome {address}\n").as_bytes())?;
        Room::tell_others(&members, &address, format!("{address} joined\n").as_bytes());
        members.insert(address, socket);
        Ok(())
        // END EXERCISE
    }

    fn handle(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        // EXERCISE: read whole lines until the client leaves; pass each on to everybody else as `ADDR: LINE`
        let mut line = Vec::new();
        loop {
            line.clear();
            if request.rfile.read_until(b'\n', &mut line)? == 0 || !line.ends_with(b"\n") {
                return Ok(()); // the client left
            }
            let mut message = format!("{}: ", request.client_address).into_bytes();
            message.extend_from_slice(&line);
            let members = self.members.lock().unwrap_or_else(|e| e.into_inner());
            Room::tell_others(&members, &request.client_address, &message);
        }
        // END EXERCISE
    }

    fn finish(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        // EXERCISE: take the client out of the room and tell the others it left (this runs even when handle failed)
        let address = &request.client_address;
        let mut members = self.members.lock().unwrap_or_else(|e| e.into_inner());
        members.remove(address);
        Room::tell_others(&members, address, format!("{address} left\n").as_bytes());
        Ok(())
        // END EXERCISE
    }
}

/// Serves the room on `transport` until Ctrl-C or SIGTERM.
fn serve(transport: TcpTransport) -> anyhow::Result<()> {
    // EXERCISE: make a Server of the transport, a Room and the threading model; stop it on signals; serve_forever
    let mut server = Server::new(transport, Room::default(), Threading::new())?;
    stop_on_signals(&server.shutdown_handle())?;
    server.serve_forever(Duration::from_millis(500))?;
    Ok(())
    // END EXERCISE
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
