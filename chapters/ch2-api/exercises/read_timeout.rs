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
    // EXERCISE: loop on `stream.read`: 0 bytes ends the connection, n bytes are written back, and a read that timed out (WouldBlock on Linux, TimedOut elsewhere) sends NUDGE and goes on reading
    let mut buf = [0; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => stream.write_all(&buf[..n])?,
            // A timeout is not a broken connection, only a quiet one. Linux
            // reports an expired SO_RCVTIMEO as EAGAIN, which Rust calls
            // WouldBlock; other systems say TimedOut.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                stream.write_all(NUDGE)?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // END EXERCISE
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
