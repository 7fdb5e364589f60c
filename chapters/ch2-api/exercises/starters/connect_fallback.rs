// Exercise ch2-connect-fallback: Try each address in turn, each with a timeout, like create_connection
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch2-connect-fallback -- --port 0`
// Check it: `cargo exercise check ch2-connect-fallback`. Stuck? `cargo exercise hint ch2-connect-fallback`.

//! `create_connection`'s heart: try each address in turn, each with a
//! timeout.
//!
//! A tiny server. On each connection it reads lines, each holding the
//! addresses a name resolved to, in order (`[::1]:40000 127.0.0.1:40000`;
//! names are resolved too). For each line it connects to the first address
//! that answers and replies `connected ADDR`, or `failed: ERROR` when none
//! does. An address that never answers must not hold up the others for more
//! than `TIMEOUT`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::Result;
use book_support::cli::{announce, run};
use clap::Parser;

/// Connects to the first address of each line that answers.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(1);

// ANCHOR: task
/// Connects to the first of `candidates` that accepts within `timeout`,
/// trying them in order. When all fail, returns the last attempt's error.
fn connect_first(candidates: &[SocketAddr], timeout: Duration) -> io::Result<TcpStream> {
    // TODO: try each address with `TcpStream::connect_timeout`; return the first success, else the last error
    todo!(
        "try each address with `TcpStream::connect_timeout`; return the first success, else the last error"
    )
}
// ANCHOR_END: task

/// Every address the words of `line` resolve to, in order.
fn candidates(line: &str) -> io::Result<Vec<SocketAddr>> {
    let mut all = Vec::new();
    for word in line.split_whitespace() {
        all.extend(word.to_socket_addrs()?);
    }
    Ok(all)
}

/// Serves one connection: a line of candidates in, one answer line out.
fn serve(stream: TcpStream) -> Result<()> {
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let answer = match candidates(&line).and_then(|c| connect_first(&c, TIMEOUT)) {
            Ok(conn) => format!("connected {}\n", conn.peer_addr()?),
            Err(err) => format!("failed: {err}\n"),
        };
        output.write_all(answer.as_bytes())?;
    }
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let listener = TcpListener::bind(("127.0.0.1", args.port))?;
        announce(listener.local_addr()?);
        for stream in listener.incoming() {
            let stream = stream?;
            thread::spawn(move || {
                if let Err(e) = serve(stream) {
                    eprintln!("error: {e:#}");
                }
            });
        }
        Ok(())
    })
}
