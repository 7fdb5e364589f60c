// Exercise ch5-upper-handler: The upper-casing handler: whole lines in, stripped capitals out
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch5-upper-handler -- --port 0`
// Check it: `cargo exercise check ch5-upper-handler`. Stuck? `cargo exercise hint ch5-upper-handler`.

//! The upper-casing handler, written against this chapter's `Handler` trait.
//!
//! A TCP server, a thread per connection (the library does that part). On
//! each connection the handler reads lines and answers each one with the
//! line stripped of white space at both ends and upper-cased, with no
//! newline after it. A blank line gets no answer; a client that goes away
//! ends the handler.

use std::io::{self, BufRead, Write};
use std::net::TcpStream;
use std::process::ExitCode;
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

/// Answers each line, upper-cased.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// The handler: no state of its own.
#[derive(Debug)]
struct Shout;

// ANCHOR: task
impl Handler<StreamRequest<TcpStream>> for Shout {
    fn handle(&self, request: &mut StreamRequest<TcpStream>) -> io::Result<()> {
        // TODO: read lines from request.rfile until EOF; answer each with its trimmed, upper-cased bytes on request.wfile, flushed at once
        todo!(
            "read lines from request.rfile until EOF; answer each with its trimmed, upper-cased bytes on request.wfile, flushed at once"
        )
    }
}
// ANCHOR_END: task

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        // ANCHOR: main_server
        let transport = TcpTransport::bind(("127.0.0.1", args.port), &BindOptions::default())
            .with_context(|| format!("cannot listen on port {}", args.port))?;
        let mut server = Server::new(transport, Shout, Threading::new())?;
        stop_on_signals(&server.shutdown_handle())?;
        announce(server.server_address());
        server.serve_forever(Duration::from_millis(500))?;
        // ANCHOR_END: main_server
        Ok(())
    })
}
