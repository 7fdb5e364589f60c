//! What the chapter's tests share: servers on port 0, bounded waits,
//! python3, and a look at a process from outside through /proc
//! (`book_support::observe`).
#![allow(dead_code)]

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
    book_support::observe::children(pid).len()
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

/// A session of messages the client sends, blank line included.
pub const INPUT: &str = "hello\n  spaced out  \n\nMiXeD 123 ü\n";
/// What the client prints for [`INPUT`].
pub const OUTPUT: &str = "HELLO\nSPACED OUT\nMIXED 123 ü\n";

/// Runs `upper-client` with `args` and `stdin`, bounded.
pub fn client(args: &[&str], stdin: &str) -> assert_cmd::assert::Assert {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_upper-client"))
        .args(args)
        .write_stdin(stdin)
        .timeout(BOUND)
        .assert()
}

/// Starts a server for every transport and every model, each with the
/// flags in `protocol` (none, or `--protocol article`), and checks that the
/// client, given the same flags, gets [`OUTPUT`] for [`INPUT`].
pub fn talk_over_every_transport_with_every_model(protocol: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    for model in ["threading", "forking", "sync"] {
        let stream_path = dir.path().join(format!("{model}.sock"));
        let dgram_path = dir.path().join(format!("{model}-dgram.sock"));
        let stream_path = stream_path.to_str().unwrap();
        let dgram_path = dgram_path.to_str().unwrap();
        let transports: [&[&str]; 4] = [
            &[],
            &["--udp"],
            &["--unix", stream_path],
            &["--unix-datagram", dgram_path],
        ];
        for transport in transports {
            let mut args = vec!["--model", model];
            args.extend_from_slice(protocol);
            args.extend_from_slice(transport);
            let s = server(&args);
            let mut client_args = protocol.to_vec();
            // The Unix transports are reached by path, the others by port.
            let target = match transport.first() {
                Some(how) if how.starts_with("--unix") => {
                    client_args.push(how);
                    s.address().to_string()
                }
                how => {
                    client_args.extend(how);
                    client_args.push("--port");
                    s.port().unwrap()
                }
            };
            client_args.push(&target);
            client(&client_args, INPUT).success().stdout(OUTPUT);
        }
    }
}
