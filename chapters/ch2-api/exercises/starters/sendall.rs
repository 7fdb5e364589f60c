// Exercise ch2-sendall: sendall on a non-blocking socket: send until every byte is taken
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch2-sendall -- --port 0`
// Check it: `cargo exercise check ch2-sendall`. Stuck? `cargo exercise hint ch2-sendall`.

//! `sendall`, built on `send`.
//!
//! A tiny server. On each connection it reads lines, each holding a size
//! in decimal, and answers each with exactly that many bytes: byte `i` of an
//! answer is `i % 251`. It sends on a non-blocking socket, where one `send`
//! takes only what fits in the kernel's buffers and a full buffer is an
//! error (WouldBlock), so sending everything is a loop: yours.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::thread;

use anyhow::{Context, Result};
use book_support::cli::{announce, run};
use clap::Parser;

/// Answers each size it reads with that many bytes.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// Waits until `stream` can take more bytes: poll(2) for POLLOUT, at most
/// ten seconds.
fn wait_writable(stream: &TcpStream) -> io::Result<()> {
    let mut pfd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, alive across the call; count 1.
    match unsafe { libc::poll(&mut pfd, 1, 10_000) } {
        -1 => Err(io::Error::last_os_error()),
        0 => Err(io::ErrorKind::TimedOut.into()),
        _ => Ok(()),
    }
}

// ANCHOR: task
/// Sends every byte of `data` on the non-blocking `stream`, as Python's
/// `sendall` does. One `stream.write` is one `send(2)`: it may take fewer
/// bytes than offered, or fail with `WouldBlock` when the buffers are full.
fn send_all(stream: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    // TODO: call `stream.write` until every byte is sent; on WouldBlock call `wait_writable(stream)` and try again
    todo!(
        "call `stream.write` until every byte is sent; on WouldBlock call `wait_writable(stream)` and try again"
    )
}
// ANCHOR_END: task

/// The answer to a request for `size` bytes: 0, 1, ..., 250, 0, 1, ...
/// Made a cycle at a time (`repeat` copies whole blocks), so that even a
/// debug build makes 64 MiB in milliseconds, not in the seconds a byte at a
/// time takes.
fn pattern(size: usize) -> Vec<u8> {
    let cycle: Vec<u8> = (0..251).map(|i: u16| i as u8).collect();
    let mut bytes = cycle.repeat(size / cycle.len() + 1);
    bytes.truncate(size);
    bytes
}

/// Serves one connection: a size per line, answered with that many bytes.
fn serve(stream: TcpStream) -> Result<()> {
    let mut input = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let size: usize = line
            .trim()
            .parse()
            .with_context(|| format!("bad size {line:?}"))?;
        let stream = input.get_mut();
        stream.set_nonblocking(true)?;
        send_all(stream, &pattern(size))?;
        stream.set_nonblocking(false)?;
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
