// Exercise ch1-seqpacket: A Unix seqpacket server, written whole: one answer per message
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-seqpacket -- /tmp/ch1-seqpacket.sock`
// Check it: `cargo exercise check ch1-seqpacket`. Stuck? `cargo exercise hint ch1-seqpacket`.

//! A Unix seqpacket server: a connection that keeps message boundaries.
//!
//! On each connection, every message a client sends is answered with one
//! message: the size of the message received, in bytes, in decimal ASCII
//! (`hello` is answered `5`). Clients are served one after another.
//!
//! Rust's standard library has no seqpacket socket: this program makes its
//! socket with socket2, call by call, as Python's `socket.socket()` does.
//! Talk to your copy with the chapter's client:
//!
//! ```text
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-seqpacket -- /tmp/seq.sock
//! printf 'one\ntwo\n' | cargo run -p ch1-families --bin echo-client -- --transport unix-seqpacket --path /tmp/seq.sock
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

/// A Unix seqpacket server that answers each message with its size.
#[derive(Debug, Parser)]
struct Args {
    /// The socket file to create (there must be nothing at that path yet).
    path: PathBuf,
}

fn main() -> ExitCode {
    book_support::cli::run(|| serve(&Args::parse().path))
}

/// Binds a `SOCK_SEQPACKET` socket at `path`, prints `listening on PATH`,
/// and answers every message of every client with its size.
fn serve(path: &std::path::Path) -> Result<()> {
    // TODO: make an AF_UNIX SOCK_SEQPACKET socket (socket2), bind it to `path`, listen, print `listening on PATH`; then accept clients one at a time and answer each message with one message, its size in decimal, until `read` returns 0
    todo!(
        "make an AF_UNIX SOCK_SEQPACKET socket (socket2), bind it to `path`, listen, print `listening on PATH`; then accept clients one at a time and answer each message with one message, its size in decimal, until `read` returns 0"
    )
}
