//! What the chapter's tests share: every model of `loop-server` on port 0,
//! bounded waits, and a look at a server from outside through /proc
//! (`book_support::observe`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use book_support::ServerProcess;

/// Every model `loop-server` serves with.
pub const MODELS: [&str; 7] = [
    "poll",
    "mio",
    "mio-cores",
    "tokio",
    "pool",
    "threading",
    "forking",
];

/// A bound on every wait in these tests.
pub const BOUND: Duration = Duration::from_secs(30);

/// Starts `loop-server --model MODEL --port 0`.
pub fn server(model: &str) -> ServerProcess {
    let mut args = vec!["--model", model, "--port", "0"];
    if model == "mio-cores" {
        args.extend(["--loops", "2"]); // two, whatever the machine's cores
    }
    ServerProcess::start(env!("CARGO_BIN_EXE_loop-server"), args).unwrap()
}

/// A TCP connection with bounded reads and writes.
pub fn connect(server: &ServerProcess) -> TcpStream {
    let stream = TcpStream::connect(server.socket_addr().unwrap()).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    stream.set_write_timeout(Some(BOUND)).unwrap();
    stream
}

/// Sends `message` and a newline, reads `expect.len()` bytes, compares.
pub fn exchange(stream: &mut TcpStream, message: &str, expect: &str) {
    stream.write_all(format!("{message}\n").as_bytes()).unwrap();
    assert_eq!(read_n(stream, expect.len()), expect);
}

/// Reads exactly `n` bytes, as text.
pub fn read_n(stream: &mut TcpStream, n: usize) -> String {
    let mut got = vec![0; n];
    stream.read_exact(&mut got).unwrap();
    String::from_utf8_lossy(&got).into_owned()
}

// `children` counts zombies too: they are leaks as well.
#[allow(unused_imports)] // not every test file needs them
pub use book_support::observe::{children, eventually, fd_count, thread_count};

/// Resident memory of `pid` and its children, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let one = |p: u32| book_support::observe::status_kib(p, "VmRSS").unwrap_or(0);
    one(pid) + children(pid).into_iter().map(one).sum::<u64>()
}
