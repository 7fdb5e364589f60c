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
    // EXERCISE: make an AF_UNIX SOCK_SEQPACKET socket (socket2), bind it to `path`, listen, print `listening on PATH`; then accept clients one at a time and answer each message with one message, its size in decimal, until `read` returns 0
    use std::io::{ErrorKind, Read, Write};

    use anyhow::Context;
    use socket2::{Domain, SockAddr, Socket, Type};

    let listener = Socket::new(Domain::UNIX, Type::SEQPACKET, None)
        .context("cannot make a seqpacket socket")?;
    let address = SockAddr::unix(path).context("not a socket path")?;
    listener
        .bind(&address)
        .with_context(|| format!("cannot bind {}", path.display()))?;
    listener.listen(128).context("cannot listen")?;
    book_support::cli::announce(path.display());

    // One read takes one whole message, and cuts what does not fit: the
    // buffer must hold the biggest message a client may send.
    let mut buf = vec![0; 256 * 1024];
    loop {
        let (conn, _) = listener.accept().context("cannot accept a connection")?;
        let mut conn = &conn;
        loop {
            let n = match conn.read(&mut buf) {
                // 0: the client has ended (or sent an empty message, which
                // on Linux reads the same).
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => {
                    eprintln!("a client's connection failed: {err}");
                    break;
                }
            };
            // One `write` on a seqpacket socket is one message.
            if let Err(err) = conn.write(n.to_string().as_bytes()) {
                eprintln!("cannot answer: {err}");
                break;
            }
        }
    }
    // END EXERCISE
}
