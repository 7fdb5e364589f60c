//! What the end-to-end tests share: the seven ways to run the echo pair,
//! starting a server on a free port (or a fresh path), and running a client.
#![allow(dead_code)] // each test file uses part of it

use std::net::UdpSocket;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use book_support::ServerProcess;

pub const SERVER: &str = env!("CARGO_BIN_EXE_echo-server");
pub const CLIENT: &str = env!("CARGO_BIN_EXE_echo-client");

/// The longest a test waits for a program: generous, since two cores run
/// many tests at once; a healthy run needs milliseconds.
pub const WAIT: Duration = Duration::from_secs(20);

/// One of the seven family-and-type combinations that carry data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Tcp4,
    Tcp6,
    Udp4,
    Udp6,
    UnixStream,
    UnixDgram,
    UnixSeqpacket,
}

impl Case {
    pub const ALL: [Case; 7] = [
        Case::Tcp4,
        Case::Tcp6,
        Case::Udp4,
        Case::Udp6,
        Case::UnixStream,
        Case::UnixDgram,
        Case::UnixSeqpacket,
    ];

    pub fn transport(self) -> &'static str {
        match self {
            Case::Tcp4 | Case::Tcp6 => "tcp",
            Case::Udp4 | Case::Udp6 => "udp",
            Case::UnixStream => "unix-stream",
            Case::UnixDgram => "unix-dgram",
            Case::UnixSeqpacket => "unix-seqpacket",
        }
    }

    pub fn host(self) -> Option<&'static str> {
        match self {
            Case::Tcp4 | Case::Udp4 => Some("127.0.0.1"),
            Case::Tcp6 | Case::Udp6 => Some("::1"),
            _ => None,
        }
    }

    pub fn is_unix(self) -> bool {
        self.host().is_none()
    }

    pub fn keeps_boundaries(self) -> bool {
        !matches!(self, Case::Tcp4 | Case::Tcp6 | Case::UnixStream)
    }

    pub fn is_datagram(self) -> bool {
        matches!(self, Case::Udp4 | Case::Udp6 | Case::UnixDgram)
    }
}

/// Is IPv6 loopback usable here? If not, say so where a person will see it.
pub fn ipv6_available(test: &str) -> bool {
    match UdpSocket::bind("[::1]:0") {
        Ok(_) => true,
        Err(err) => {
            eprintln!(
                "SKIPPED {test} over IPv6: cannot bind [::1]:0 on this machine ({err}); \
                 is IPv6 disabled?"
            );
            false
        }
    }
}

/// A server under test, with the folder its socket file lives in.
#[derive(Debug)]
pub struct Running {
    pub server: ServerProcess,
    pub case: Case,
    pub dir: tempfile::TempDir,
}

impl Running {
    /// Starts `echo-server` for `case` on port 0 or at a fresh path, with
    /// `extra` arguments. `None` (and a visible note) if the case cannot
    /// run on this machine.
    pub fn start(case: Case, test: &str, extra: &[&str]) -> Option<Running> {
        if case.host() == Some("::1") && !ipv6_available(test) {
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut args: Vec<String> = vec!["--transport".into(), case.transport().into()];
        match case.host() {
            Some(host) => args.extend(["--host".into(), host.into(), "--port".into(), "0".into()]),
            None => {
                let path = dir.path().join("echo.sock");
                args.extend(["--path".into(), path.to_string_lossy().into_owned()]);
            }
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let server = ServerProcess::start(SERVER, &args)
            .unwrap_or_else(|err| panic!("{case:?}: the server did not start: {err:#}"));
        Some(Running { server, case, dir })
    }

    /// The socket file's path, for the Unix cases.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(self.server.address())
    }

    /// The arguments that point a client at this server.
    pub fn client_args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec!["--transport".into(), self.case.transport().into()];
        match self.case.host() {
            Some(host) => {
                let port = self.server.port().expect("an IP server prints IP:PORT");
                args.extend(["--host".into(), host.into(), "--port".into(), port]);
            }
            None => args.extend(["--path".into(), self.server.address().into()]),
        }
        args
    }

    /// Runs `echo-client` against this server with `stdin` as its input.
    pub fn client(&self, extra: &[&str], stdin: &str) -> assert_cmd::assert::Assert {
        client(&self.client_args(), extra, stdin)
    }

    /// Waits for a line of the server's log that contains `needle`.
    pub fn log_line(&self, needle: &str) -> String {
        self.server
            .wait_for_line(needle, WAIT)
            .unwrap_or_else(|err| {
                panic!("{:?}: {err:#}; stderr: {}", self.case, self.server.stderr())
            })
    }
}

/// Runs `echo-client` with `args` then `extra`, feeding it `stdin`.
pub fn client(args: &[String], extra: &[&str], stdin: &str) -> assert_cmd::assert::Assert {
    Command::new(CLIENT)
        .args(args)
        .args(extra)
        .write_stdin(stdin)
        .timeout(WAIT)
        .assert()
}

/// Runs `echo-server` with `args` and expects it to fail at once.
pub fn server_fails(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::new(SERVER)
        .args(args)
        .timeout(WAIT)
        .assert()
        .failure()
}

/// stdout (or stderr) as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The house style of a failure: exactly one line, `error: ...`.
pub fn one_error_line(stderr: &[u8]) -> String {
    let stderr = text(stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got: {stderr}");
    assert!(
        lines[0].starts_with("error: "),
        "expected `error: ...`, got: {stderr}"
    );
    lines[0].to_string()
}
