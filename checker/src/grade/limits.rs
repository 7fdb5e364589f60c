//! Running one command of a submission with limits (Linux).
//!
//! Each command runs in a process group of its own, with resource limits
//! set in the child before it starts the command:
//!
//! - `RLIMIT_CPU`: the CPU seconds of any one process;
//! - `RLIMIT_AS`: the memory (address space) of any one process;
//! - `RLIMIT_FSIZE`: the size of any one file a process writes;
//! - `RLIMIT_NPROC`: a ceiling on the processes and threads of the user,
//!   all submissions together (the kernel counts them per user, and does
//!   not apply the limit to root);
//! - `RLIMIT_CORE`: no core dumps.
//!
//! While the command runs, a watch every few milliseconds counts the
//! processes of its group: past the limit, or past the time limit, the
//! whole group is killed. Whatever the command prints is kept up to a size
//! and the rest read and dropped, so a flood neither fills the memory of
//! the grader nor blocks the command.
//!
//! The grader is the "child subreaper" of everything it starts
//! (`PR_SET_CHILD_SUBREAPER`): a process whose parent died is handed to the
//! grader, not to init, so that one that left its group (with `setsid`)
//! is still found, and killed, by [`sweep`].
//!
//! None of this is a sandbox: see the book's "For teachers" section.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often the watch looks at a running command.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// The limits of one command.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall-clock time; the group is killed after it.
    pub time: Duration,
    /// Processes in the command's group, the command itself included.
    pub processes: usize,
    /// Bytes kept of stdout and of stderr, each.
    pub output: usize,
    /// `RLIMIT_AS` per process, in bytes; `None` leaves it alone.
    pub memory: Option<u64>,
    /// `RLIMIT_FSIZE`, in bytes; `None` leaves it alone.
    pub file_size: Option<u64>,
    /// `RLIMIT_NPROC`, for the whole user; `None` leaves it alone.
    pub user_tasks: Option<u64>,
    /// Set `RLIMIT_CPU` to the time limit.
    pub cpu: bool,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// It exited (or was killed by a signal) by itself.
    Exited(ExitStatus),
    /// The time limit ran out; the group was killed.
    TimeLimit,
    /// The group had more processes than allowed (this many); it was killed.
    TooManyProcesses(usize),
    /// The grader was interrupted (Ctrl-C); the group was killed.
    Interrupted,
}

/// What a command did.
#[derive(Debug)]
pub struct Outcome {
    /// How it ended.
    pub ended: Ended,
    /// Its stdout, up to the limit.
    pub stdout: Vec<u8>,
    /// Its stderr, up to the limit.
    pub stderr: Vec<u8>,
    /// Whether stdout or stderr said more than was kept.
    pub truncated: bool,
    /// How long it ran.
    pub took: Duration,
}

impl Outcome {
    /// The last non-blank lines of stderr, for a message.
    pub fn stderr_tail(&self, lines: usize) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let kept: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        kept[kept.len().saturating_sub(lines)..].join("\n")
    }
}

/// The pids of the children the grader spawned and waits for itself; the
/// sweep reaps every other child (an orphan handed to the grader) and
/// leaves these alone. Spawning happens under the lock, so that no child
/// is reaped before it is registered.
static OURS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// Set by SIGINT or SIGTERM: every watch kills its group and returns.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether the grader was asked to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Makes the grader the subreaper of what it starts, and turns Ctrl-C
/// into an orderly stop (every group killed) rather than an abrupt one
/// that would leave the submissions' programs running.
pub fn prepare() {
    // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) only sets a flag of this
    // process; signal(2) installs a handler that does nothing but store
    // to an atomic, which is async-signal-safe.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        let handler = on_interrupt as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// The number of tasks (processes and threads) that `uid` runs now: what
/// `RLIMIT_NPROC` counts.
pub fn tasks_of_user(uid: u32) -> u64 {
    let mut tasks = 0;
    for pid in pids() {
        let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |name: &str| -> Option<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        };
        if field("Uid:") == Some(u64::from(uid)) {
            tasks += field("Threads:").unwrap_or(1);
        }
    }
    tasks
}

/// The real user id of the grader.
pub fn uid() -> u32 {
    // SAFETY: getuid(2) cannot fail and has no preconditions.
    unsafe { libc::getuid() }
}

/// Runs `command` in a process group of its own, with `limits`, and
/// returns what it did. Its stdin is empty.
pub fn run(mut command: Command, limits: &Limits) -> io::Result<Outcome> {
    let rlimits = rlimits(limits);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: between fork and exec only async-signal-safe calls are made:
    // setrlimit(2) and prctl(2), on values computed before the fork; nothing
    // is allocated.
    unsafe {
        command.pre_exec(move || {
            for &(resource, value) in &rlimits {
                let limit = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // If the grader dies, so does the command.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            Ok(())
        });
    }

    let started = Instant::now();
    let mut child = {
        let mut ours = OURS.lock().unwrap_or_else(|e| e.into_inner());
        let child = command.spawn()?;
        ours.insert(child.id());
        child
    };
    let pgid = child.id() as i32;
    let stdout = keep_reading(child.stdout.take(), limits.output);
    let stderr = keep_reading(child.stderr.take(), limits.output);

    let ended = watch(&mut child, pgid, limits, started);
    let took = started.elapsed();
    // Whatever is left of the group: the programs the command started.
    kill_group(pgid);
    OURS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&(pgid as u32));
    sweep();

    // A process that left the group may still hold a pipe: wait a little
    // for the end of the output, not for ever.
    let (stdout, more_out) = stdout
        .recv_timeout(Duration::from_secs(2))
        .unwrap_or_default();
    let (stderr, more_err) = stderr
        .recv_timeout(Duration::from_secs(2))
        .unwrap_or_default();
    Ok(Outcome {
        ended,
        stdout,
        stderr,
        truncated: more_out || more_err,
        took,
    })
}

/// The `setrlimit` calls for `limits`.
fn rlimits(limits: &Limits) -> Vec<(libc::__rlimit_resource_t, libc::rlim_t)> {
    let mut set = vec![(libc::RLIMIT_CORE, 0)];
    if let Some(bytes) = limits.memory {
        set.push((libc::RLIMIT_AS, bytes));
    }
    if let Some(bytes) = limits.file_size {
        set.push((libc::RLIMIT_FSIZE, bytes));
    }
    if let Some(tasks) = limits.user_tasks {
        set.push((libc::RLIMIT_NPROC, tasks));
    }
    if limits.cpu {
        set.push((libc::RLIMIT_CPU, limits.time.as_secs().max(1) + 1));
    }
    set
}

/// Waits for `child`, looking at its group every few milliseconds.
fn watch(child: &mut Child, pgid: i32, limits: &Limits, started: Instant) -> Ended {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ended::Exited(status),
            Ok(None) => {}
            Err(_) => return Ended::Exited(ExitStatus::from_raw(0x7f00)),
        }
        let ended = if interrupted() {
            Some(Ended::Interrupted)
        } else if started.elapsed() >= limits.time {
            Some(Ended::TimeLimit)
        } else {
            let count = group_members(pgid).len();
            (count > limits.processes).then_some(Ended::TooManyProcesses(count))
        };
        if let Some(ended) = ended {
            kill_group(pgid);
            let _ = child.kill();
            let _ = child.wait();
            return ended;
        }
        thread::sleep(LOOK_EVERY);
    }
}

/// Reads `pipe` to its end on a thread of its own, keeping the first
/// `limit` bytes; sends them, and whether more came, when it ends.
fn keep_reading(
    pipe: Option<impl Read + Send + 'static>,
    limit: usize,
) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Vec::new();
        let mut more = false;
        if let Some(mut pipe) = pipe {
            let mut buf = [0u8; 16 * 1024];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = limit.saturating_sub(kept.len());
                        kept.extend_from_slice(&buf[..n.min(room)]);
                        more |= n > room;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = tx.send((kept, more));
    });
    rx
}

/// Kills every process of the group `pgid`, until none is left (bounded:
/// a process that cannot be killed, in uninterruptible sleep, is left).
pub fn kill_group(pgid: i32) {
    for _ in 0..200 {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative
        // pid names the group, which is ours (we made it for this command).
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
        sweep();
        if group_members(pgid).is_empty() {
            return;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Kills and reaps every child of the grader that it did not spawn
/// itself: orphans of the submissions' programs, handed to the grader
/// because it is their subreaper. Also reaps them once dead (zombies).
pub fn sweep() {
    let me = std::process::id();
    let ours = OURS.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..100 {
        let orphans: Vec<u32> = pids()
            .filter(|pid| !ours.contains(pid))
            .filter(|pid| stat(*pid).is_some_and(|s| s.ppid == me))
            .collect();
        if orphans.is_empty() {
            return;
        }
        for pid in orphans {
            // SAFETY: kill(2) and waitpid(2) on a child of ours that no
            // other part of the grader waits for (it is not in `OURS`).
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
                libc::waitpid(pid as i32, std::ptr::null_mut(), libc::WNOHANG);
            }
        }
        thread::sleep(Duration::from_millis(2));
    }
}

/// The live (not zombie) processes of the group `pgid`.
pub fn group_members(pgid: i32) -> Vec<u32> {
    pids()
        .filter(|pid| stat(*pid).is_some_and(|s| s.pgrp == pgid && s.state != 'Z'))
        .collect()
}

/// Every pid in /proc.
fn pids() -> impl Iterator<Item = u32> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
}

/// What /proc/PID/stat says of a process.
struct Stat {
    state: char,
    ppid: u32,
    pgrp: i32,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: start after it.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(Stat { state, ppid, pgrp })
}
