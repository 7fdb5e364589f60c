// Exercise ch2-read-timeout: A read with a timeout: a quiet client is asked, not dropped
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch2-read-timeout -- --port 0`
// Check it: `cargo exercise check ch2-read-timeout`. Stuck? `cargo exercise hint ch2-read-timeout`.

//! A read with a timeout: a quiet client is asked, not dropped.
//!
//! A tiny echo server. Each connection gets a read timeout of one second
//! (`set_read_timeout`, Python's `settimeout(1)`). When a second goes by
//! with nothing to read, the server sends `still there?\n` and waits again;
//! what the client sends comes back; when the client ends its side, the
//! server closes the connection.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use book_support::cli::{announce, run};
use clap::Parser;

/// Echoes, and asks a quiet client whether it is still there.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// How long a client may be quiet before it is asked.
const QUIET: Duration = Duration::from_secs(1);

/// What a quiet client is asked.
const NUDGE: &[u8] = b"still there?\n";

// ANCHOR: task
/// Serves one connection, whose reads time out after `QUIET`: echoes what
/// comes, sends `NUDGE` each time a read times out, and returns when the
/// client ends its side (a read of 0 bytes).
fn serve(mut stream: TcpStream) -> io::Result<()> {
    // TODO: loop on `stream.read`: 0 bytes ends the connection, n bytes are written back, and a read that timed out (WouldBlock on Linux, TimedOut elsewhere) sends NUDGE and goes on reading
    todo!(
        "loop on `stream.read`: 0 bytes ends the connection, n bytes are written back, and a read that timed out (WouldBlock on Linux, TimedOut elsewhere) sends NUDGE and goes on reading"
    )
}
// ANCHOR_END: task

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let listener = TcpListener::bind(("127.0.0.1", args.port))?;
        announce(listener.local_addr()?);
        for stream in listener.incoming() {
            let stream = stream?;
            stream.set_read_timeout(Some(QUIET))?;
            thread::spawn(move || {
                if let Err(e) = serve(stream) {
                    eprintln!("error: {e}");
                }
            });
        }
        Ok(())
    })
}
