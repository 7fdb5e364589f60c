//! What the chapter's tests share: starting the programs, fake peers.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use assert_cmd::cargo::CommandCargoExt;
use book_support::ServerProcess;
use book_support::check::again_if_interrupted;

/// Every wait in a test is bounded by this.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Starts `ssh-server` on an OS-chosen loopback port with extra `args`.
pub fn server(args: &[&str]) -> ServerProcess {
    ServerProcess::spawn(server_command(args)).expect("ssh-server starts")
}

/// The command that starts `ssh-server` on an OS-chosen loopback port with
/// extra `args`, and no secret from the environment of whoever runs the
/// tests.
pub fn server_command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssh-server"));
    command
        .args(["--port", "0"])
        .args(args)
        .env_remove(ch3_ssh::secret::SECRET_ENV);
    command
}

/// Runs `ssh-client` against `port` with `args`, feeding it `stdin`.
pub fn client(port: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut command = Command::cargo_bin("ssh-client").unwrap();
    command.args(["--port", port, "--timeout", "20"]).args(args);
    run_with_stdin(command, stdin)
}

/// Runs a command with `stdin` and collects its output, within [`TIMEOUT`].
pub fn run_with_stdin(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("program starts");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let feeder = thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = done.send(());
        output
    });
    if finished.recv_timeout(TIMEOUT).is_err() {
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg(pid.to_string())
            .status();
        panic!("the program did not finish within {TIMEOUT:?}");
    }
    feeder.join().unwrap();
    waiter.join().unwrap().expect("output collected")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A raw TCP connection to a server, every read bounded.
pub fn connect(server: &ServerProcess) -> TcpStream {
    let stream = TcpStream::connect(server.socket_addr().unwrap()).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Reads until the peer closes (bounded by the read timeout).
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    let _ = stream.read_to_end(&mut all);
    all
}

/// A fake server for one connection: `script` gets the accepted stream.
/// Returns its port and the thread.
pub fn fake_server(script: impl FnOnce(TcpStream) + Send + 'static) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        script(stream);
    });
    (port, handle)
}

/// Reads one `recv(1024)` worth, as the article's programs do.
pub fn recv(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = [0u8; 1024];
    let n = again_if_interrupted(|| stream.read(&mut buf)).unwrap();
    buf[..n].to_vec()
}

/// python3, or `None` after saying visibly that the test is skipped.
#[allow(unused_imports)] // not every test file needs it
pub use book_support::tools::python3;

/// A Python program of the chapter.
pub fn python_file(name: &str) -> String {
    format!("{}/python/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A named pipe in a fresh temporary folder: a command that reads it waits
/// until the test writes to it, which lets a test hold a command "running"
/// for exactly as long as it needs, with no sleeps.
pub fn fifo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gate").to_string_lossy().into_owned();
    assert!(
        Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    (dir, path)
}

/// Opens the gate: writes a line to the fifo (blocks until a reader opens it).
/// Bounded: the command must open the fifo within [`TIMEOUT`].
pub fn open_gate(path: &str) {
    let path = path.to_string();
    let (done, opened) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let mut fifo = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        fifo.write_all(b"go\n").unwrap();
        let _ = done.send(());
    });
    opened
        .recv_timeout(TIMEOUT)
        .expect("the command opened the gate");
}
