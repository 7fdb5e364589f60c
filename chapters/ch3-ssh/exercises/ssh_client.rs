//! A client of the course's simple ssh, rewritten: it reads one command a
//! line from stdin, sends each to the server, and prints each result whole.
//!
//! ```text
//! client: "ls -l"            (one send, no newline)
//! server: "1680"             (the result's size in bytes, decimal)
//! client: "OK"               (the acknowledgement)
//! server: 1680 bytes         (the result, in as many pieces as TCP likes)
//! ```
//!
//! On stdout it prints each result's bytes and nothing else (no prompt, no
//! sizes). An empty line is skipped. A server that closes before the whole
//! result has come is an error: the program says so on stderr and exits
//! with a non-zero status.
//!
//! Run the chapter's server, then this client with its port:
//!
//! ```text
//! cargo run -p ch3-ssh --bin ssh-server -- --port 9999
//! echo "ls" | cargo run --manifest-path my-exercises/Cargo.toml --bin ch3-ssh-client -- --port 9999
//! ```

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;

use anyhow::{Context, Result, bail};
use clap::Parser;

/// The largest result this client believes: a bigger size is a broken
/// server, not a result.
const MAX_RESULT: usize = 64 * 1024 * 1024;

/// Sends each line of stdin to an ssh server as a command and prints what
/// comes back.
#[derive(Debug, Parser)]
struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

fn main() -> std::process::ExitCode {
    book_support::cli::run(|| run(&Args::parse()))
}

// ANCHOR: task
/// The whole client: connect, then for each line of stdin send the command,
/// read the size, answer "OK", receive exactly that many bytes and print
/// them.
fn run(args: &Args) -> Result<()> {
    // EXERCISE: connect; for each non-empty line of stdin: send it, read the size (one read), send "OK", then read until exactly that many bytes are in and print them; a read of 0 bytes means the server has gone: an error
    let mut stream = TcpStream::connect((args.host.as_str(), args.port))
        .with_context(|| format!("cannot connect to {}:{}", args.host, args.port))?;
    let mut out = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let command = line.context("cannot read a command")?;
        if command.is_empty() {
            continue; // nothing to send: the server would wait for ever
        }
        stream.write_all(command.as_bytes())?;

        // The size comes alone: the server sends nothing more until "OK".
        let mut header = [0u8; 1024];
        let n = stream.read(&mut header)?;
        if n == 0 {
            bail!("the server closed the connection instead of answering");
        }
        let text = String::from_utf8_lossy(&header[..n]);
        let size: usize = match text.parse() {
            Ok(size) if size <= MAX_RESULT => size,
            _ => bail!("the server sent {text:?} where a size belongs"),
        };
        stream.write_all(b"OK")?;

        // The course's `while receive_size < length` loop.
        let mut received = 0;
        let mut buf = [0u8; 64 * 1024];
        while received < size {
            let want = buf.len().min(size - received);
            let n = stream.read(&mut buf[..want])?;
            if n == 0 {
                bail!("the server closed the connection after {received} of {size} bytes");
            }
            out.write_all(&buf[..n])?;
            received += n;
        }
        out.flush()?;
    }
    Ok(())
    // END EXERCISE
}
// ANCHOR_END: task
