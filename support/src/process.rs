//! Running a chapter's server as a real process, the way tests and checkers do.
//!
//! Tests never pick a fixed port and never sleep to wait for a server: they
//! start it with `--port 0`, read the address from its first line
//! (`listening on ADDR`) within a bounded time, and connect there. The
//! [`ServerProcess`] kills the program when it is dropped, so a failing test
//! leaves no server behind.
//!
//! The program's stderr goes to a file, not a pipe. Whatever the program
//! wrote before an event a test saw (a connection closing, say) is then in
//! the file when the test looks: no reader thread can lag behind, so what a
//! test or a checker reports never depends on how fast that thread ran.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
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
/// must be `listening on ADDR`. Its stderr goes to a private file and can be
/// read at any time with [`ServerProcess::stderr`].
pub struct ServerProcess {
    /// Behind a lock, so that many connections to one program (each with a
    /// shared reference) can ask whether it still runs.
    child: Mutex<Child>,
    pid: u32,
    address: String,
    lines: Receiver<String>,
    stderr: tempfile::NamedTempFile,
    program: String,
}

impl fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerProcess")
            .field("program", &self.program)
            .field("pid", &self.pid)
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
        default_signals(&mut command);
        let stderr = tempfile::Builder::new()
            .prefix("stderr-")
            .tempfile()
            .context("cannot make a file for the program's stderr")?;
        // Appending, so that children the program forks, which share the
        // descriptor, never write over each other's lines.
        let for_child: File = OpenOptions::new()
            .append(true)
            .open(stderr.path())
            .context("cannot open the file for the program's stderr")?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(for_child)
            .spawn()
            .with_context(|| format!("cannot start `{program}`"))?;

        let lines = read_lines(child.stdout.take().expect("stdout is piped"));

        let mut server = ServerProcess {
            pid: child.id(),
            child: Mutex::new(child),
            address: String::new(),
            lines,
            stderr,
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
        let mut text = Vec::new();
        // A reader of its own, so that reading never moves the offset the
        // program writes at.
        if let Ok(mut file) = File::open(self.stderr.path()) {
            let _ = file.read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Everything the server wrote to stderr up to now: complete if it has
    /// exited. (The same as [`ServerProcess::stderr`]: a file has no lag.)
    pub fn final_stderr(&self) -> String {
        self.stderr()
    }

    /// The process id, for tests that look at the process from outside.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Has the server exited? Returns its status if so, without waiting.
    pub fn try_status(&self) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        child.try_wait().ok().flatten()
    }

    /// Waits at most `timeout` for the server to exit by itself.
    pub fn wait_for_exit(&self, timeout: Duration) -> Option<ExitStatus> {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        crate::observe::wait_for_child(&mut child, timeout)
    }

    /// Sends SIGTERM (on Unix), the polite "please stop", for tests of
    /// graceful shutdown.
    #[cfg(unix)]
    pub fn terminate(&self) -> Result<()> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .context("cannot run `kill`")?;
        if !status.success() {
            bail!("`kill -TERM {}` failed", self.pid);
        }
        Ok(())
    }

    /// Stops the server now and waits for it.
    pub fn kill(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
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

/// Gives the program the signal dispositions a terminal gives it: SIGINT
/// and SIGQUIT at their defaults.
///
/// A program started in the background by a non-interactive shell (`cmd &`
/// in a script, as some CI runners and nohup do) inherits SIGINT *ignored*,
/// and passes that on to everything it starts: `kill -INT` then does
/// nothing to a `sleep`, and Python never installs its KeyboardInterrupt
/// handler. Tests and transcripts must not depend on how their runner was
/// started.
#[cfg(unix)]
pub fn default_signals(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls are
    // allowed; signal(2) is one, and nothing is allocated.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
}

fn describe(command: &Command) -> String {
    let mut words = vec![command.get_program().to_string_lossy().into_owned()];
    words.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    words.join(" ")
}
