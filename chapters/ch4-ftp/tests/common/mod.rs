//! What the chapter's tests share: servers on port 0 serving a temporary
//! folder, the client run with stdin, fake servers, python3.
#![allow(dead_code)]

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use book_support::ServerProcess;
use tempfile::TempDir;

/// A bound on every wait in these tests.
pub const BOUND: Duration = Duration::from_secs(30);

/// Bytes that are not text and not a repeating pattern of 1024.
pub fn sample(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// A served folder with a few files, and a client folder beside it.
pub struct World {
    pub tmp: TempDir,
    pub root: PathBuf,
    pub down: PathBuf,
}

impl World {
    pub fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        let down = tmp.path().join("down");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::create_dir_all(&down).unwrap();
        fs::write(root.join("hello.txt"), b"hello, world\n").unwrap();
        fs::write(root.join("data.bin"), sample(300_000)).unwrap();
        fs::write(root.join("sub/inner.txt"), b"inner\n").unwrap();
        fs::write(root.join("with space.txt"), b"spaces are fine\n").unwrap();
        fs::write(tmp.path().join("secret.txt"), b"TOP SECRET\n").unwrap();
        World { tmp, root, down }
    }

    pub fn server(&self, protocol: &str) -> ServerProcess {
        self.server_with(protocol, &[])
    }

    /// [`World::server`] with more arguments.
    pub fn server_with(&self, protocol: &str, args: &[&str]) -> ServerProcess {
        let root = self.root.to_str().unwrap();
        let mut all = vec!["--port", "0", "--root", root, "--protocol", protocol];
        all.extend_from_slice(args);
        ServerProcess::start(env!("CARGO_BIN_EXE_ftp-server"), all).unwrap()
    }

    /// Asserts that a failed download of `name` kept nothing in the client's
    /// folder: neither the file nor its `.part`.
    pub fn assert_kept_nothing(&self, name: &str) {
        let file = self.down.join(name);
        let part = self.down.join(format!("{name}.part"));
        assert!(!file.exists(), "{} should not exist", file.display());
        assert!(!part.exists(), "{} should not exist", part.display());
    }
}

/// Runs the client against `port` with `stdin`, in `dir`.
pub fn client(
    port: &str,
    protocol: &str,
    dir: &Path,
    extra: &[&str],
    stdin: &str,
) -> assert_cmd::assert::Assert {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_ftp-client"));
    cmd.args([
        "--port",
        port,
        "--protocol",
        protocol,
        "--dir",
        dir.to_str().unwrap(),
    ])
    .args(extra)
    .write_stdin(stdin.to_string())
    .timeout(BOUND);
    cmd.assert()
}

/// md5 of bytes in hex, computed independently of the crate's helpers.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[allow(unused_imports)] // not every test file needs them
pub use book_support::observe::{
    eventually, fd_count, thread_count, wait_for_child as wait_timeout,
};
/// python3, or `None` after saying visibly that the test is skipped.
#[allow(unused_imports)] // not every test file needs it
pub use book_support::tools::python3;

/// The path of one of the chapter's Python programs.
pub fn python_program(name: &str) -> String {
    format!("{}/python/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A one-connection fake server on port 0: `script` runs on a thread with
/// the accepted connection. Returns the port.
pub fn fake_server(script: impl FnOnce(TcpStream) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            stream.set_read_timeout(Some(BOUND)).unwrap();
            script(stream);
        }
    });
    port
}

/// A connection to a test server, with bounded waits.
pub fn connect(server: &ServerProcess) -> TcpStream {
    let stream = TcpStream::connect(server.socket_addr().unwrap()).unwrap();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    stream.set_write_timeout(Some(BOUND)).unwrap();
    stream
}

/// Waits until the server's stderr contains `needle`.
pub fn wait_for_log(server: &ServerProcess, needle: &str) -> String {
    let mut last = String::new();
    let found = eventually(BOUND, || {
        last = server.stderr();
        last.contains(needle)
    });
    assert!(
        found,
        "the server never logged {needle:?}; its log:\n{last}"
    );
    last
}
