//! Running a client's command: the dangerous part of the chapter.
//!
//! The article runs a command with `os.popen(cmd).read()`: through the shell,
//! stdout only, no time limit, no size limit, and the whole output held in
//! memory before a byte of it is sent. This module does the same job with the
//! defences a server that runs commands needs:
//!
//! - **How the command starts** is a deliberate choice ([`Launch`]). With
//!   [`Launch::Shell`] the client's text is handed, whole and untouched, to
//!   `sh -c` as the article's `os.popen` does: pipes, globs and `;` work,
//!   because a remote shell is the product. What the server never does is
//!   paste the client's text into a command line of its own, which is where
//!   injection surprises come from. With [`Launch::Argv`] there is no shell
//!   at all: the text is split into words with shell quoting rules and the
//!   first word is run as the program, so `echo hi; id` prints `hi; id`.
//! - **A time limit**: a command that runs too long is killed, with every
//!   process it started (it runs in a process group of its own).
//! - **An output cap**: after that many bytes the command is killed.
//! - **A vanished client** kills the command too, so nobody runs commands
//!   for a client that has gone.
//! - **stdin is empty** (`/dev/null`): `cat` ends at once instead of waiting
//!   for input that can never come.
//!
//! Output is handed to the caller chunk by chunk while the command runs, so
//! the framed protocol can stream it; the article's protocol collects it.

use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

/// How often a running command's client is checked for having gone.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// How much of the command's output is read (and sent on) at a time.
pub const CHUNK: usize = 16 * 1024;

/// How a command line becomes a process. See the module's documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// `sh -c COMMAND`, as the article's `os.popen` does.
    Shell,
    /// Split into words (shell quoting rules), run the first word, no shell.
    Argv,
}

/// The limits every command runs under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A command still running after this long is killed.
    pub time_limit: Duration,
    /// A command that writes more than this many bytes (stdout and stderr
    /// together) is killed; only this many are passed on.
    pub max_output: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time_limit: Duration::from_secs(10),
            max_output: 64 * 1024 * 1024,
        }
    }
}

/// Which of the command's outputs a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Its standard output.
    Stdout,
    /// Its standard error.
    Stderr,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself with this code.
    Exited(i32),
    /// It was ended by this signal, not by us.
    Signalled(i32),
    /// It could not be started (no such program, bad quoting, empty).
    NotStarted,
    /// We killed it: it ran longer than the time limit.
    TimedOut,
    /// We killed it: it wrote more than the output cap.
    OutputCapped,
    /// We killed it: its client went away.
    ClientGone,
}

impl Ending {
    /// The exit status a shell would report: the code, or 128 + the signal
    /// for a process that was killed, or 127 for one that never started.
    pub fn status_code(self) -> i32 {
        match self {
            Ending::Exited(code) => code,
            Ending::Signalled(signal) => 128 + signal,
            Ending::NotStarted => 127,
            Ending::TimedOut | Ending::OutputCapped | Ending::ClientGone => 128 + libc::SIGKILL,
        }
    }

    /// What the server tells its client about this ending, if anything.
    pub fn notice(self, limits: &Limits) -> Option<String> {
        match self {
            Ending::TimedOut => Some(format!(
                "command killed: still running after the time limit of {:?}",
                limits.time_limit
            )),
            Ending::OutputCapped => Some(format!(
                "command killed: output reached the cap of {} bytes; the rest is cut off",
                limits.max_output
            )),
            _ => None,
        }
    }
}

/// What the reader threads and the waiter thread report.
enum Event {
    Chunk(Output, Vec<u8>),
    Closed,
    Exited(io::Result<ExitStatus>),
}

/// Runs `command_line` under `limits`.
///
/// Each chunk of output goes to `on_output` as soon as the command writes
/// it; an error from `on_output` (the client has gone) kills the command and
/// is returned. `client_alive` is asked every 100 ms while the command runs;
/// `false` kills the command. A command that cannot start is reported on
/// its stderr, the way a shell would, and ends as [`Ending::NotStarted`].
// ANCHOR: run_command
pub fn run_command(
    command_line: &str,
    launch: Launch,
    limits: &Limits,
    mut on_output: impl FnMut(Output, &[u8]) -> io::Result<()>,
    mut client_alive: impl FnMut() -> bool,
) -> io::Result<Ending> {
    let mut command = match prepare(command_line, launch) {
        Ok(command) => command,
        Err(why) => {
            on_output(Output::Stderr, format!("{why}\n").as_bytes())?;
            return Ok(Ending::NotStarted);
        }
    };
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            on_output(Output::Stderr, format!("cannot start: {err}\n").as_bytes())?;
            return Ok(Ending::NotStarted);
        }
    };
    let group = child.id();
    // A small channel: when the client reads slowly, the readers wait, the
    // pipes fill, and the command itself waits. Nothing piles up in memory.
    let (events, incoming) = mpsc::sync_channel(8);
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    forward(stdout, Output::Stdout, events.clone());
    forward(stderr, Output::Stderr, events.clone());
    thread::spawn(move || {
        let _ = events.send(Event::Exited(child.wait()));
    });

    let deadline = Instant::now() + limits.time_limit;
    let (mut open_pipes, mut status, mut written) = (2, None, 0u64);
    let mut killed: Option<Ending> = None;
    while open_pipes > 0 || status.is_none() {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .min(CHECK_EVERY);
        match incoming.recv_timeout(wait) {
            Ok(Event::Chunk(_, _)) if killed.is_some() => {}
            Ok(Event::Chunk(which, bytes)) => {
                let room = limits.max_output - written;
                let keep = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
                written += keep as u64;
                if let Err(err) = on_output(which, &bytes[..keep]) {
                    kill_group(group);
                    return Err(err);
                }
                if keep < bytes.len() {
                    kill_group(group);
                    killed = Some(Ending::OutputCapped);
                }
            }
            Ok(Event::Closed) => open_pipes -= 1,
            Ok(Event::Exited(result)) => status = Some(result?),
            Err(RecvTimeoutError::Timeout) if killed.is_none() => {
                if Instant::now() >= deadline {
                    kill_group(group);
                    killed = Some(Ending::TimedOut);
                } else if !client_alive() {
                    kill_group(group);
                    killed = Some(Ending::ClientGone);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                // Killed, but a process that left our group may still hold
                // a pipe open. Stop waiting for it a while after the kill.
                if Instant::now() >= deadline + limits.time_limit {
                    break;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(killed.unwrap_or_else(|| ending_of(status)))
}
// ANCHOR_END: run_command

/// The process a command line describes, not yet started.
// ANCHOR: prepare
fn prepare(command_line: &str, launch: Launch) -> Result<Command, String> {
    let mut command = match launch {
        Launch::Shell => {
            // The client's text is one argument: `sh` parses it, we never
            // paste it into a command line of our own.
            let mut command = Command::new("sh");
            command.arg("-c").arg(command_line);
            command
        }
        Launch::Argv => {
            let words = shlex::split(command_line)
                .ok_or_else(|| "cannot split the command: unbalanced quotes".to_string())?;
            let (program, args) = words.split_first().ok_or("empty command")?;
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The server's secret, if it came from the environment, stays with
        // the server.
        .env_remove(crate::secret::SECRET_ENV)
        // A process group of its own, so a kill reaches every process the
        // command started (`sleep 100 | cat`), not only the shell.
        .process_group(0);
    Ok(command)
}
// ANCHOR_END: prepare

/// Reads `pipe` in chunks on a thread of its own and sends each chunk on.
fn forward(mut pipe: impl Read + Send + 'static, which: Output, events: SyncSender<Event>) {
    thread::spawn(move || {
        let mut buf = vec![0; CHUNK];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if events.send(Event::Chunk(which, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = events.send(Event::Closed);
    });
}

/// Kills every process in the group `group` (SIGKILL cannot be caught).
/// Returns whether the signal was delivered.
fn kill_group(group: u32) -> bool {
    let Ok(group) = libc::pid_t::try_from(group) else {
        return false;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours;
    // a negative pid names the process group we created with process_group(0).
    unsafe { libc::kill(-group, libc::SIGKILL) == 0 }
}

fn ending_of(status: Option<ExitStatus>) -> Ending {
    match status {
        Some(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Ending::Exited(code),
            (None, Some(signal)) => Ending::Signalled(signal),
            (None, None) => Ending::Exited(-1),
        },
        None => Ending::Exited(-1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &str, launch: Launch, limits: Limits) -> (Vec<u8>, Vec<u8>, Ending) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let ending = run_command(
            command,
            launch,
            &limits,
            |which, bytes| {
                match which {
                    Output::Stdout => out.extend_from_slice(bytes),
                    Output::Stderr => err.extend_from_slice(bytes),
                }
                Ok(())
            },
            || true,
        )
        .unwrap();
        (out, err, ending)
    }

    #[test]
    fn stdout_stderr_and_status_are_kept_apart() {
        let (out, err, ending) = run(
            "echo out; echo err >&2; exit 3",
            Launch::Shell,
            Limits::default(),
        );
        assert_eq!(out, b"out\n");
        assert_eq!(err, b"err\n");
        assert_eq!(ending, Ending::Exited(3));
    }

    #[test]
    fn argv_mode_has_no_shell() {
        let (out, _, ending) = run("echo hi; id", Launch::Argv, Limits::default());
        assert_eq!(out, b"hi; id\n");
        assert_eq!(ending, Ending::Exited(0));
        let (_, err, ending) = run("no-such-program-here", Launch::Argv, Limits::default());
        assert_eq!(ending, Ending::NotStarted);
        assert!(String::from_utf8_lossy(&err).contains("cannot start"));
        let (_, err, ending) = run("echo 'open", Launch::Argv, Limits::default());
        assert_eq!(ending, Ending::NotStarted);
        assert!(String::from_utf8_lossy(&err).contains("unbalanced quotes"));
    }

    #[test]
    fn a_command_over_the_time_limit_is_killed_with_its_children() {
        let limits = Limits {
            time_limit: Duration::from_millis(300),
            ..Limits::default()
        };
        let started = Instant::now();
        let (_, _, ending) = run("sleep 30 | cat; echo never", Launch::Shell, limits);
        assert_eq!(ending, Ending::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn output_over_the_cap_is_cut_and_the_command_killed() {
        let limits = Limits {
            max_output: 1000,
            ..Limits::default()
        };
        let (out, _, ending) = run("yes", Launch::Shell, limits);
        assert_eq!(out.len(), 1000);
        assert_eq!(ending, Ending::OutputCapped);
    }
}
