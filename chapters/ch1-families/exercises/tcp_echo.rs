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
    // EXERCISE: accept a client, echo what it sends until `read` returns 0, let the connection close, accept the next; an error on one connection ends that connection, not the server
    let mut buf = [0; 4096];
    loop {
        let (mut conn, peer) = listener.accept().context("cannot accept a connection")?;
        println!("connection from {peer}");
        loop {
            match conn.read(&mut buf) {
                // 0 bytes: the client has closed its end. Nothing more will come.
                Ok(0) => {
                    println!("{peer} closed its end");
                    break;
                }
                Ok(n) => {
                    if let Err(err) = conn.write_all(&buf[..n]) {
                        eprintln!("{peer}: cannot echo: {err}");
                        break;
                    }
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                // A reset, say: that client is gone, the next may come.
                Err(err) => {
                    eprintln!("{peer}: {err}");
                    break;
                }
            }
        }
        // `conn` goes out of scope at the end of each round: the connection
        // is closed, and the loop accepts the next client.
    }
    // END EXERCISE
}
// ANCHOR_END: task
