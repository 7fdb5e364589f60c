// Exercise ch3-frame-codec: Write and read length-prefixed frames
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch3-frame-codec -- --port 0`
// Check it: `cargo exercise check ch3-frame-codec`. Stuck? `cargo exercise hint ch3-frame-codec`.

//! A frame echo server: the framed protocol's codec.
//!
//! A frame is a 4-byte big-endian payload length, a 1-byte kind, and the
//! payload:
//!
//! ```text
//! +----------------+--------+------------------------+
//! | length: u32 BE | kind   | payload: length bytes  |
//! +----------------+--------+------------------------+
//! ```
//!
//! The server answers every frame with the same frame (same kind, same
//! payload). A frame whose length is over `MAX_PAYLOAD` is refused without
//! allocating it: the server answers with one frame of kind `!` whose payload
//! says why, and closes that connection. It serves many clients at once.
//!
//! Your part is `write_frame` and `read_frame`.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use anyhow::Context;
use clap::Parser;

/// The largest payload accepted: 1 MiB.
const MAX_PAYLOAD: u32 = 1024 * 1024;

/// A frame echo server.
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
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            thread::spawn(move || {
                if let Err(err) = serve(stream) {
                    eprintln!("client gone: {err}");
                }
            });
        }
        Ok(())
    })
}

/// Echoes frames until the client closes, or sends a bad one.
fn serve(mut stream: TcpStream) -> io::Result<()> {
    loop {
        match read_frame(&mut stream) {
            Ok(Some((kind, payload))) => write_frame(&mut stream, kind, &payload)?,
            Ok(None) => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                write_frame(&mut stream, b'!', err.to_string().as_bytes())?;
                return Err(err);
            }
            Err(err) => return Err(err),
        }
    }
}

// ANCHOR: task
/// Writes one frame: the payload's length (u32, big-endian), the kind, the
/// payload.
fn write_frame(stream: &mut impl Write, kind: u8, payload: &[u8]) -> io::Result<()> {
    // TODO: write the 4-byte big-endian length, the kind byte and the payload (one write_all of the whole frame is best)
    todo!(
        "write the 4-byte big-endian length, the kind byte and the payload (one write_all of the whole frame is best)"
    )
}

/// Reads one frame as (kind, payload). `Ok(None)` when the peer closed
/// cleanly before a frame began; an `InvalidData` error for a length over
/// `MAX_PAYLOAD` (checked before allocating); an error for a frame cut short.
fn read_frame(stream: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    // TODO: read the 5-byte header (None if the peer closed before it), refuse a length over MAX_PAYLOAD, then read exactly the payload
    todo!(
        "read the 5-byte header (None if the peer closed before it), refuse a length over MAX_PAYLOAD, then read exactly the payload"
    )
}
// ANCHOR_END: task
