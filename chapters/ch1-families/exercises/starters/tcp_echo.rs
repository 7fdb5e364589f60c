// Exercise ch1-tcp-echo: A TCP echo server in the course's shape: one client at a time, until it ends
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-tcp-echo -- --port 0`
// Check it: `cargo exercise check ch1-tcp-echo`. Stuck? `cargo exercise hint ch1-tcp-echo`.

//! A TCP echo server in the course's shape: one client at a time, each
//! echoed until it closes its end.
//!
//! Start your copy, and talk to it with the chapter's client:
//!
//! ```text
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-tcp-echo -- --port 9999
//! printf 'hello\n' | cargo run -p ch1-families --bin echo-client -- --transport tcp --port 9999
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

/// A TCP echo server on 127.0.0.1.
#[derive(Debug, Parser)]
struct Args {
    /// The port to listen on; 0 lets the system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        book_support::cli::announce(listener.local_addr().context("cannot read the address")?);
        serve(&listener)
    })
}

// ANCHOR: task
/// Takes the clients one after another, and sends each every byte it sends,
/// until it closes its end.
fn serve(listener: &TcpListener) -> Result<()> {
    // TODO: accept a client, echo what it sends until `read` returns 0, let the connection close, accept the next; an error on one connection ends that connection, not the server
    todo!(
        "accept a client, echo what it sends until `read` returns 0, let the connection close, accept the next; an error on one connection ends that connection, not the server"
    )
}
// ANCHOR_END: task
