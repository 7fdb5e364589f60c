// Exercise ch4-recv-exact: Receive exactly N bytes and check their md5, without eating the digest
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-recv-exact -- --port 0`
// Check it: `cargo exercise check ch4-recv-exact`. Stuck? `cargo exercise hint ch4-recv-exact`.

//! Receive exactly N bytes, hash them, and not one byte more.
//!
//! A tiny server. On each connection it reads, again and again: a line with
//! a size in decimal, then that many bytes, then the 32-character md5 hex
//! digest of those bytes, which follows them at once (in the same packet,
//! often). It answers `ok` if the digest matches and `mismatch` if not.
//! A receive loop that reads even one byte too many eats the digest.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use anyhow::{Context, Result};
use book_support::cli::{announce, run};
use clap::Parser;
use md5::{Digest, Md5};

/// Checks md5 digests of byte blocks sent to it.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 1999)]
    port: u16,
}

// ANCHOR: task
/// Reads exactly `size` bytes from `input` and returns their md5 in
/// lowercase hex. Never asks `input` for more than is still owed.
fn recv_exact_md5(input: &mut impl Read, size: u64) -> io::Result<String> {
    // TODO: read exactly `size` bytes in chunks of at most 64 KiB (never more than is left), hash them, return the hex digest
    todo!(
        "read exactly `size` bytes in chunks of at most 64 KiB (never more than is left), hash them, return the hex digest"
    )
}
// ANCHOR_END: task

/// Serves one connection: size line, bytes, digest, answer; until EOF.
fn serve(stream: TcpStream) -> Result<()> {
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let size: u64 = line
            .trim()
            .parse()
            .with_context(|| format!("bad size {line:?}"))?;
        let got = recv_exact_md5(&mut input, size)?;
        let mut digest = [0; 32];
        input.read_exact(&mut digest)?;
        let answer = if got.as_bytes() == digest {
            "ok\n"
        } else {
            "mismatch\n"
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
