// Exercise ch3-recv-exact: Receive exactly the announced number of bytes
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch3-recv-exact -- --port 0`
// Check it: `cargo exercise check ch3-recv-exact`. Stuck? `cargo exercise hint ch3-recv-exact`.

//! An upload server that receives exactly the announced number of bytes.
//!
//! It speaks the article's protocol turned around, one client at a time:
//!
//! ```text
//! client: "12"              (a size, in decimal, one send)
//! server: "OK"              (the acknowledgement)
//! client: 12 bytes          (maybe in many pieces, maybe glued to what follows)
//! server: the same 12 bytes (echoed back)
//! ```
//!
//! and again, until the client closes the connection. Your part is
//! `recv_exact`: the article's `while receive_size < length` loop.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};

use anyhow::{Context, Result, bail};
use clap::Parser;

/// An upload server for the article's protocol, turned around.
#[derive(Debug, Parser)]
struct Args {
    /// The port (0: let the system choose).
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

fn main() -> std::process::ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let listener = TcpListener::bind(("127.0.0.1", args.port)).context("cannot listen")?;
        book_support::cli::announce(listener.local_addr()?);
        // One client at a time, as in the article.
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if let Err(err) = serve(stream) {
                eprintln!("client gone: {err:#}");
            }
        }
        Ok(())
    })
}

/// Serves one client until it closes the connection.
fn serve(mut stream: TcpStream) -> Result<()> {
    let mut header = [0u8; 1024];
    loop {
        let n = stream.read(&mut header)?;
        if n == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&header[..n]).into_owned();
        let size: usize = match text.parse() {
            Ok(size) if size <= 64 * 1024 * 1024 => size,
            _ => bail!("{text:?} is not a size this server accepts"),
        };
        stream.write_all(b"OK")?;
        let body = recv_exact(&mut stream, size)?;
        stream.write_all(&body)?;
    }
}

// ANCHOR: task
/// Receives exactly `size` bytes from `stream`: not fewer (one `read` may
/// return only part of them), and not more (what follows belongs to the next
/// message). A connection that closes first is an error.
fn recv_exact(stream: &mut TcpStream, size: usize) -> io::Result<Vec<u8>> {
    // TODO: read in a loop until exactly `size` bytes are in; never ask for more than is missing; error if the peer closes early
    todo!(
        "read in a loop until exactly `size` bytes are in; never ask for more than is missing; error if the peer closes early"
    )
}
// ANCHOR_END: task
