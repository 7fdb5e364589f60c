// Exercise ch2-relay: A relay, written whole: both directions at once, each end passed on
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch2-relay -- --port 0 --to /tmp/ch2-relay.sock`
// Check it: `cargo exercise check ch2-relay`. Stuck? `cargo exercise hint ch2-relay`.

//! A relay: every TCP client is passed on to a Unix stream socket.
//!
//! This is what a front server does for an application that listens on a
//! Unix socket (nginx in front of a Python app, say). For each client the
//! relay opens its own connection to the upstream socket at `--to PATH`,
//! and copies bytes both ways at once. When one side ends its sending
//! direction, the relay ends the same direction on the other connection
//! (`shutdown(SHUT_WR)`), so the other direction goes on until it ends too;
//! then both connections are closed.
//!
//! Try your copy with a Python upstream that answers once the request has
//! ended:
//!
//! ```text
//! python3 -c 'import socket,os; p="/tmp/up.sock"; os.path.exists(p) and os.unlink(p); s=socket.socket(socket.AF_UNIX); s.bind(p); s.listen(); c,_=s.accept(); d=c.makefile("rb").read(); c.sendall(b"got %d bytes\n" % len(d))'
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch2-relay -- --port 9999 --to /tmp/up.sock
//! printf 'hello\n' | nc -N 127.0.0.1 9999
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

/// Passes every TCP client on to a Unix stream socket.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// The upstream: the path of a listening Unix stream socket.
    #[arg(long)]
    to: PathBuf,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        relay(args.port, &args.to)
    })
}

/// Listens on 127.0.0.1:`port`, prints `listening on ADDR`, and relays
/// every client to the Unix socket at `to`.
fn relay(port: u16, to: &Path) -> Result<()> {
    // TODO: listen on 127.0.0.1 and print `listening on ADDR`; for each client, connect to `to` and copy both ways at once (a thread per direction), each direction's end passed on with `shutdown(Shutdown::Write)`
    todo!(
        "listen on 127.0.0.1 and print `listening on ADDR`; for each client, connect to `to` and copy both ways at once (a thread per direction), each direction's end passed on with `shutdown(Shutdown::Write)`"
    )
}
