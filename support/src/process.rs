//! Running a chapter's server as a real process, the way tests and checkers do.
//!
//! Tests never pick a fixed port and never sleep to wait for a server: they
//! start it with `--port 0`, read the address from its first line
//! (`listening on ADDR`) within a bounded time, and connect there. The
//! [`ServerProcess`] kills the program when it is dropped, so a failing test
//! leaves no server behind.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::cli::LISTENING_PREFIX;

/// How long a server may take to print its first line. Generous, because a
/// test suite running in parallel on two cores can be slow to start a
/// process; a healthy server needs milliseconds.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// A server program running in the background.
///
/// Its stdout is read line by line on a thread of its own; the first line
/// must be `listening on ADDR`. Its stderr is collected and can be read at
/// any time with [`ServerProcess::stderr`].
pub struct ServerProcess {
    child: Child,
    address: String,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_closed: Receiver<()>,
    program: String,
}

impl fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerProcess")
            .field("program", &self.program)
            .field("pid", &self.child.id())
            .field("address", &self.address)
            .finish()
    }
}

impl ServerProcess {
    /// Starts `program` with `args` and waits for its `listening on` line.
    pub fn start<I, S>(program: impl AsRef<std::ffi::OsStr>, args: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = Command::new(program);
        command.args(args);
        Self::spawn(command)
    }

    /// Starts a prepared command (with its arguments, directory and
    /// environment set) and waits for its `listening on` line.
    pub fn spawn(mut command: Command) -> Result<Self> {
        let program = describe(&command);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start `{program}`"))?;

        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_closed = collect_stderr(child.stderr.take().expect("stderr is piped"), &stderr);
        let lines = read_lines(child.stdout.take().expect("stdout is piped"));

        let mut server = ServerProcess {
            child,
            address: String::new(),
            lines,
            stderr,
            stderr_closed,
            program,
        };
        server.address = server.wait_for_listening_line()?;
        Ok(server)
    }

    fn wait_for_listening_line(&mut self) -> Result<String> {
        let first = match self.lines.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => bail!(
                "`{}` printed nothing within {:?}; expected a first line `{LISTENING_PREFIX}ADDR`",
                self.program,
                STARTUP_TIMEOUT
            ),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.wait_for_exit(Duration::from_secs(5));
                let stderr = self.final_stderr();
                bail!(
                    "`{}` ended ({}) before printing `{LISTENING_PREFIX}ADDR`; its stderr: {}",
                    self.program,
                    status.map_or_else(|| "still running".to_string(), |s| s.to_string()),
                    stderr.trim()
                )
            }
        };
        match first.strip_prefix(LISTENING_PREFIX) {
            Some(address) => Ok(address.trim().to_string()),
            None => bail!(
                "expected the first line of `{}` to be `{LISTENING_PREFIX}ADDR`, got {first:?}",
                self.program
            ),
        }
    }

    /// The address exactly as the server printed it: `127.0.0.1:40123`,
    /// `[::1]:40123`, or a path for a Unix domain socket.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The address as an IP socket address, for TCP and UDP servers.
    pub fn socket_addr(&self) -> Result<SocketAddr> {
        self.address
            .parse()
            .map_err(|e| anyhow!("`{}` is not an IP address and port: {e}", self.address))
    }

    /// The port, as a string ready to pass to a client's `--port`.
    pub fn port(&self) -> Result<String> {
        Ok(self.socket_addr()?.port().to_string())
    }

    /// The next line the server prints on stdout, waiting at most `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// Waits at most `timeout` for a stdout line that contains `needle`,
    /// and returns it.
    pub fn wait_for_line(&self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(_) => continue,
                Err(_) => bail!(
                    "`{}` printed no line containing {needle:?} within {timeout:?}",
                    self.program
                ),
            }
        }
    }

    /// Everything the server has written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Everything the server wrote to stderr, complete if it has exited.
    ///
    /// When a program dies, the thread that collects its stderr may not have
    /// read the last lines yet; this waits (briefly) until it has.
    pub fn final_stderr(&mut self) -> String {
        if self.try_status().is_some() {
            let _ = self.stderr_closed.recv_timeout(Duration::from_secs(2));
        }
        self.stderr()
    }

    /// The process id, for tests that look at the process from outside.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Has the server exited? Returns its status if so, without waiting.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Waits at most `timeout` for the server to exit by itself.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        crate::observe::wait_for_child(&mut self.child, timeout)
    }

    /// Sends SIGTERM (on Unix), the polite "please stop", for tests of
    /// graceful shutdown.
    #[cfg(unix)]
    pub fn terminate(&self) -> Result<()> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .context("cannot run `kill`")?;
        if !status.success() {
            bail!("`kill -TERM {}` failed", self.child.id());
        }
        Ok(())
    }

    /// Stops the server now and waits for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads `stdout` line by line on a background thread. The channel closes
/// when the program closes its stdout (usually: when it exits).
fn read_lines(stdout: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Collects `stderr` into `into` on a background thread. The returned channel
/// closes when the program's stderr does.
fn collect_stderr(stderr: impl Read + Send + 'static, into: &Arc<Mutex<String>>) -> Receiver<()> {
    let into = Arc::clone(into);
    let (done, closed) = mpsc::channel::<()>();
    thread::spawn(move || {
        let _done = done;
        let mut reader = BufReader::new(stderr);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Ok(mut text) = into.lock() {
                        text.push_str(&String::from_utf8_lossy(&buf));
                    }
                }
            }
        }
    });
    closed
}

fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}
