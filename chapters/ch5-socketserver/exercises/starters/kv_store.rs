// Exercise ch5-kv-store: State every request shares: a key-value store behind a lock
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch5-kv-store -- --port 0`
// Check it: `cargo exercise check ch5-kv-store`. Stuck? `cargo exercise hint ch5-kv-store`.

//! A handler with state shared by every request: a small key-value store.
//!
//! A TCP server, a thread per connection (the library does that part). Each
//! line is a command; each command gets one answer line:
//!
//! - `SET KEY VALUE` stores VALUE (the rest of the line, spaces and all)
//!   and answers `OK`;
//! - `GET KEY` answers the value, or `NONE` when the key was never set;
//! - `INCR KEY` adds one to the number stored under KEY (a missing key
//!   counts as 0) and answers the new number; a value that is not a whole
//!   number gets `ERR not a number`;
//! - anything else gets `ERR bad command`.
//!
//! One store serves every client: what one connection sets, every other
//! one reads, and increments from many clients at once are never lost.

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
use ch5_socketserver::transport::{BindOptions, TcpTransport};
use clap::Parser;

/// A key-value store every client shares.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

// ANCHOR: task
/// The handler: one value shared by every request's thread, so its state
/// is shared too. The `Mutex` lets one thread at a time at the map.
#[derive(Debug, Default)]
struct Store {
    values: Mutex<HashMap<String, String>>,
}

impl Store {
    /// The answer to one command line (without its newline), with its own
    /// newline.
    fn answer(&self, line: &str) -> String {
        // TODO: parse SET/GET/INCR and answer from the one shared map; an INCR is a read and a write under one lock
        todo!(
            "parse SET/GET/INCR and answer from the one shared map; an INCR is a read and a write under one lock"
        )
    }
}
// ANCHOR_END: task

impl Handler<StreamRequest<TcpStream>> for Store {
    fn handle(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        let mut line = String::new();
        loop {
            line.clear();
            if request.rfile.read_line(&mut line)? == 0 || !line.ends_with('\n') {
                return Ok(()); // the client left
            }
            let command = line.trim_end_matches(['\n', '\r']);
            request.wfile.write_all(self.answer(command).as_bytes())?;
            request.wfile.flush()?;
        }
    }
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let transport = TcpTransport::bind(("127.0.0.1", args.port), &BindOptions::default())
            .with_context(|| format!("cannot listen on port {}", args.port))?;
        let mut server = Server::new(transport, Store::default(), Threading::new())?;
        stop_on_signals(&server.shutdown_handle())?;
        announce(server.server_address());
        server.serve_forever(Duration::from_millis(500))?;
        Ok(())
    })
}
