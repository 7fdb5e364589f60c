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
//!
//! The transcripts of the book need the other way: what a terminal shows,
//! stdout and stderr interleaved in the order they were written. For them
//! [`ServerProcess::spawn_merged`] gives both one pipe, read as lines.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// must be `listening on ADDR`. Its stderr goes to a private file and can be
/// read at any time with [`ServerProcess::stderr`], or, started with
/// [`ServerProcess::spawn_merged`], shares stdout's pipe and its lines.
pub struct ServerProcess {
    /// Behind a lock, so that many connections to one program (each with a
    /// shared reference) can ask whether it still runs.
    child: Mutex<Child>,
    pid: u32,
    address: String,
    /// The first line as printed: `listening on ADDR`.
    listening_line: String,
    lines: Lines,
    /// `None` when stderr shares stdout's pipe.
    stderr: Option<tempfile::NamedTempFile>,
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
        command.stdout(Stdio::piped()).stderr(for_child);
        Self::launch(command, None, Some(stderr))
    }

    /// Starts a prepared command with its stdout and stderr on one pipe, as
    /// a terminal shows them: [`ServerProcess::next_line`] and the other
    /// readers then see both, in the order the program wrote them, and
    /// [`ServerProcess::stderr`] is empty. Waits for its `listening on`
    /// line, which must still come first.
    pub fn spawn_merged(mut command: Command) -> Result<Self> {
        let (reader, writer) = std::io::pipe().context("cannot make a pipe")?;
        command
            .stdout(writer.try_clone().context("cannot share a pipe")?)
            .stderr(writer);
        Self::launch(command, Some(reader), None)
    }

    /// Spawns `command` (stdout set up by the caller; `merged` is the
    /// reading end of a pipe it shares with stderr) and waits for its first
    /// line.
    fn launch(
        mut command: Command,
        merged: Option<std::io::PipeReader>,
        stderr: Option<tempfile::NamedTempFile>,
    ) -> Result<Self> {
        let program = describe(&command);
        default_signals(&mut command);
        let mut child = command
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start `{program}`"))?;
        // The command holds our copies of the pipe's writing ends: without
        // dropping them, its output would never end.
        drop(command);

        let lines = match merged {
            Some(reader) => read_lines(reader),
            None => read_lines(child.stdout.take().expect("stdout is piped")),
        };

        let mut server = ServerProcess {
            pid: child.id(),
            child: Mutex::new(child),
            address: String::new(),
            listening_line: String::new(),
            lines,
            stderr,
            program,
        };
        server.listening_line = server.wait_for_listening_line()?;
        Ok(server)
    }

    /// The first line, which must be `listening on ADDR`; the address is
    /// kept.
    fn wait_for_listening_line(&mut self) -> Result<String> {
        let first = match self.lines.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => bail!(
                "`{}` printed nothing within {:?}; expected a first line `{LISTENING_PREFIX}ADDR`",
                self.program,
                STARTUP_TIMEOUT
            ),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(EndedBeforeListening {
                    program: self.program.clone(),
                    status: self.wait_for_exit(Duration::from_secs(5)),
                    stderr: self.final_stderr(),
                }
                .into());
            }
        };
        match first.strip_prefix(LISTENING_PREFIX) {
            Some(address) => {
                self.address = address.trim().to_string();
                Ok(first)
            }
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

    /// The server's first line as it printed it: `listening on ADDR`.
    pub fn listening_line(&self) -> &str {
        &self.listening_line
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
        match self.lines_until(needle, timeout) {
            Ok(mut lines) => Ok(lines.pop().expect("the line that contains the needle")),
            Err(_) => bail!(
                "`{}` printed no line containing {needle:?} within {timeout:?}",
                self.program
            ),
        }
    }

    /// Every line the server prints from now until one that contains
    /// `needle`, that one included, waiting at most `timeout`. The error
    /// says what it printed instead.
    pub fn read_until(&self, needle: &str, timeout: Duration) -> Result<Vec<String>> {
        self.lines_until(needle, timeout).map_err(|printed| {
            anyhow!(
                "`{}` printed no line containing {needle:?} within {timeout:?}; \
                 after its first line it printed:\n{}",
                self.program,
                printed.join("\n")
            )
        })
    }

    /// The lines up to one that contains `needle`, or all the lines read
    /// when the time ran out or the output ended first.
    fn lines_until(&self, needle: &str, timeout: Duration) -> Result<Vec<String>, Vec<String>> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(needle);
                    lines.push(line);
                    if found {
                        return Ok(lines);
                    }
                }
                Err(_) => return Err(lines),
            }
        }
    }

    /// Every line the server prints from now until its output ends (it
    /// exited, and so did every child that shares its output), waiting at
    /// most `timeout`.
    pub fn read_to_end(&self, timeout: Duration) -> Result<Vec<String>> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => return Ok(lines),
                Err(RecvTimeoutError::Timeout) => bail!(
                    "the output of `{}` did not end within {timeout:?}",
                    self.program
                ),
            }
        }
    }

    /// Everything the server has written to stderr so far (nothing when
    /// stderr shares stdout's lines: see [`ServerProcess::spawn_merged`]).
    pub fn stderr(&self) -> String {
        let mut text = Vec::new();
        // A reader of its own, so that reading never moves the offset the
        // program writes at.
        if let Some(Ok(mut file)) = self.stderr.as_ref().map(|f| File::open(f.path())) {
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

    /// Waits at most `timeout` for the server to settle after an event
    /// (a connection it closed, a request it failed): it exits, and this
    /// returns its status, or it comes to rest and lives on
    /// ([`crate::observe::comes_to_rest`]), and this returns `None` as soon
    /// as that is clear, or the time runs out.
    pub fn settle(&self, timeout: Duration) -> Option<ExitStatus> {
        /// How long one look for rest may take (several looks in a row).
        const LOOK: Duration = Duration::from_millis(60);
        let deadline = Instant::now() + timeout;
        let mut status = None;
        crate::observe::eventually(timeout, || {
            status = self.try_status();
            let left = deadline.saturating_duration_since(Instant::now());
            status.is_some() || crate::observe::comes_to_rest(self.pid, left.min(LOOK))
        });
        // A program that came to rest may still have exited in between.
        status.or_else(|| self.try_status())
    }

    /// Sends `signal` (`libc::SIGINT`, `libc::SIGTERM`, ...) to the server,
    /// unless it has exited already: then there is nothing to signal, and
    /// its exit status stays for [`ServerProcess::wait_for_exit`].
    #[cfg(unix)]
    pub fn signal(&self, signal: libc::c_int) -> Result<()> {
        // Under the lock, so that the process cannot be reaped (and its pid
        // reused) between the look and the signal.
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(self.pid).context("a pid out of range")?;
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is our
        // child's, which has not been reaped (checked above, under the lock).
        if unsafe { libc::kill(pid, signal) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("cannot send signal {signal} to `{}`", self.program));
        }
        Ok(())
    }

    /// Sends SIGINT, as Ctrl-C on a terminal does.
    #[cfg(unix)]
    pub fn interrupt(&self) -> Result<()> {
        self.signal(libc::SIGINT)
    }

    /// Sends SIGTERM (on Unix), the polite "please stop", for tests of
    /// graceful shutdown.
    #[cfg(unix)]
    pub fn terminate(&self) -> Result<()> {
        self.signal(libc::SIGTERM)
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

/// Why a program never printed its `listening on` line: it ended (or
/// closed its output) first. A checker turns it into a verdict that names
/// the cause, not the whole of stderr, which holds thread ids and
/// backtraces that differ from run to run.
#[derive(Debug)]
pub struct EndedBeforeListening {
    /// The command line.
    pub program: String,
    /// How it ended; `None` if it still ran after closing its output.
    pub status: Option<ExitStatus>,
    /// Everything it wrote on stderr.
    pub stderr: String,
}

impl EndedBeforeListening {
    /// How it ended, in words: "exit status: 101", "still running".
    pub fn ending(&self) -> String {
        self.status
            .map_or_else(|| "still running".to_string(), |s| s.to_string())
    }
}

impl fmt::Display for EndedBeforeListening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` ended ({}) before printing `{LISTENING_PREFIX}ADDR`; its stderr: {}",
            self.program,
            self.ending(),
            self.stderr.trim()
        )
    }
}

impl std::error::Error for EndedBeforeListening {}

/// The longest line kept whole: a longer one is cut there, and the rest of
/// it skipped, so that a program that writes without newlines cannot fill
/// the checker's memory.
const LONGEST_LINE: usize = 64 * 1024;

/// The most bytes of lines kept waiting for a reader. A program that
/// floods its output beyond that loses the lines nobody read, and says so in
/// a last line; it is never blocked, and the checker's memory stays bounded.
const MOST_PENDING: usize = 8 << 20;

/// The lines a program printed, as [`read_lines`] hands them over.
struct Lines {
    receiver: Receiver<String>,
    /// Bytes sent and not yet received.
    pending: Arc<AtomicUsize>,
}

impl Lines {
    /// The next line, waiting at most `timeout`.
    fn recv_timeout(&self, timeout: Duration) -> Result<String, RecvTimeoutError> {
        let line = self.receiver.recv_timeout(timeout)?;
        self.pending.fetch_sub(line.len(), Ordering::Relaxed);
        Ok(line)
    }
}

/// Reads `stdout` line by line on a thread of its own (without the newline,
/// and without a `\r` before it), lines over [`LONGEST_LINE`] cut, at most
/// [`MOST_PENDING`] bytes of them kept waiting.
fn read_lines(stdout: impl Read + Send + 'static) -> Lines {
    let (tx, receiver) = mpsc::channel();
    let pending = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&pending);
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut bytes = Vec::new();
        let mut dropped = 0usize;
        loop {
            bytes.clear();
            match (&mut reader)
                .take(LONGEST_LINE as u64)
                .read_until(b'\n', &mut bytes)
            {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
                if bytes.last() == Some(&b'\r') {
                    bytes.pop();
                }
            } else if bytes.len() == LONGEST_LINE {
                let _ = reader.skip_until(b'\n');
                bytes.extend_from_slice(" [line cut at 64 KiB]".as_bytes());
            }
            let line = String::from_utf8_lossy(&bytes).into_owned();
            if counted.load(Ordering::Relaxed) + line.len() > MOST_PENDING {
                dropped += 1;
                continue;
            }
            counted.fetch_add(line.len(), Ordering::Relaxed);
            if tx.send(line).is_err() {
                return;
            }
        }
        if dropped > 0 {
            let _ = tx.send(format!(
                "[{dropped} more lines not kept: the program printed over {} MiB that nobody read]",
                MOST_PENDING >> 20
            ));
        }
    });
    Lines { receiver, pending }
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

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    /// Every line `read_lines` hands over for `output`, until the end.
    fn all_lines(output: Vec<u8>) -> Vec<String> {
        let lines = read_lines(Cursor::new(output));
        std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(10)).ok()).collect()
    }

    #[test]
    fn lines_end_at_a_newline_with_or_without_a_carriage_return() {
        assert_eq!(
            all_lines(b"one\ntwo\r\nthree".to_vec()),
            ["one", "two", "three"]
        );
    }

    #[test]
    fn a_line_without_end_is_cut_and_the_next_one_kept() {
        let mut output = vec![b'x'; 3 * LONGEST_LINE];
        output.extend_from_slice(b"\nnext\n");
        let lines = all_lines(output);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("xxx") && lines[0].ends_with("[line cut at 64 KiB]"));
        assert!(lines[0].len() < LONGEST_LINE + 100);
        assert_eq!(lines[1], "next");
    }

    /// A reader of `bytes` that says when it has given them all.
    struct Told {
        bytes: Cursor<Vec<u8>>,
        done: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Read for Told {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.bytes.read(buf)?;
            if n == 0 {
                self.done.store(true, Ordering::SeqCst);
            }
            Ok(n)
        }
    }

    #[test]
    fn a_flood_nobody_reads_is_dropped_and_said() {
        // 16 MiB in lines of 1 KiB, none read until all were written: the
        // reader keeps 8 MiB of them and counts the rest.
        let line = [vec![b'y'; 1023], vec![b'\n']].concat();
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let source = read_lines(Told {
            bytes: Cursor::new(line.repeat(16 * 1024)),
            done: Arc::clone(&done),
        });
        assert!(crate::observe::eventually(Duration::from_secs(20), || {
            done.load(Ordering::SeqCst)
        }));
        let lines: Vec<String> =
            std::iter::from_fn(|| source.recv_timeout(Duration::from_secs(10)).ok()).collect();
        let kept = lines.len() - 1;
        assert_eq!(kept * 1023, MOST_PENDING / 1023 * 1023, "{kept} lines kept");
        assert_eq!(
            lines.last().unwrap(),
            &format!(
                "[{} more lines not kept: the program printed over 8 MiB that nobody read]",
                16 * 1024 - kept
            )
        );
    }
}
