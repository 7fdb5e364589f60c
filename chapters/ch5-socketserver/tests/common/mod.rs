//! What the chapter's tests share: servers on port 0, bounded waits,
//! python3, and a look at a process from outside through /proc.
#![allow(dead_code)]

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use book_support::ServerProcess;

/// A bound on every wait in these tests.
pub const BOUND: Duration = Duration::from_secs(30);

/// Starts `upper-server` on port 0 with `args`.
pub fn server(args: &[&str]) -> ServerProcess {
    let mut all = vec!["--port", "0"];
    all.extend_from_slice(args);
    ServerProcess::start(env!("CARGO_BIN_EXE_upper-server"), all).unwrap()
}

/// A TCP connection to `server` with bounded reads and writes.
pub fn connect(server: &ServerProcess) -> TcpStream {
    let stream = TcpStream::connect(server.socket_addr().unwrap()).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    stream.set_write_timeout(Some(BOUND)).unwrap();
    stream
}

/// Sends `message` and a newline, reads `expect.len()` bytes, compares.
pub fn exchange(stream: &mut TcpStream, message: &str, expect: &str) {
    stream.write_all(format!("{message}\n").as_bytes()).unwrap();
    let mut got = vec![0; expect.len()];
    stream.read_exact(&mut got).unwrap();
    assert_eq!(String::from_utf8_lossy(&got), expect);
}

/// Reads until EOF (or a reset) and returns what came.
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}

#[allow(unused_imports)] // not every test file needs them
pub use book_support::observe::{eventually, fd_count, thread_count};
/// python3, or `None` after saying visibly that the test is skipped.
#[allow(unused_imports)]
pub use book_support::tools::python3;

/// Live children of process `pid` (zombies included: they are leaks too).
pub fn child_count(pid: u32) -> usize {
    let mut n = 0;
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The field after the last ')' : "S ppid ..."
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let ppid = rest.split_whitespace().nth(1);
        if ppid == Some(&pid.to_string()) {
            n += 1;
        }
    }
    n
}

/// The path of one of the chapter's Python programs.
pub fn python_program(name: &str) -> String {
    format!("{}/python/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The article's Python server on port 0.
pub fn python_server() -> Option<ServerProcess> {
    let python = python3()?;
    Some(
        ServerProcess::start(
            python,
            [python_program("article_server.py").as_str(), "--port", "0"],
        )
        .unwrap(),
    )
}
