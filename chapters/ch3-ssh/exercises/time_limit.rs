//! The course's ssh server with a time limit on every command.
//!
//! It speaks the course's protocol (command, size, "OK", result), one
//! client at a time, and runs each command with `sh -c` as the course's
//! `os.popen` does. A command still running after `--time-limit` seconds is
//! killed, together with every process it started; the result is what it
//! printed until then, followed by the line `killed: time limit`.
//!
//! Your part is `run_limited`.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;

/// What the server answers for a command that printed nothing: "this
/// command is wrong", as the course's server does.
const EMPTY_RESULT: &str = "这条命令错误";

/// The line a killed command's result ends with.
const KILLED: &[u8] = b"killed: time limit\n";

/// An ssh server whose commands have a time limit.
#[derive(Debug, Parser)]
struct Args {
    /// The port (0: let the system choose).
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Kill a command still running after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
}

fn main() -> std::process::ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let limit = Duration::try_from_secs_f64(args.time_limit)
            .context("--time-limit must be a number of seconds")?;
        let listener = TcpListener::bind(("127.0.0.1", args.port)).context("cannot listen")?;
        book_support::cli::announce(listener.local_addr()?);
        // One client at a time, as in the course.
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            if let Err(err) = serve(stream, limit) {
                eprintln!("client gone: {err}");
            }
        }
        Ok(())
    })
}

/// Serves one client until it closes the connection.
fn serve(mut stream: TcpStream, limit: Duration) -> io::Result<()> {
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&buf[..n]).into_owned();
        let mut result = run_limited(&command, limit)?;
        if result.is_empty() {
            result = EMPTY_RESULT.as_bytes().to_vec();
        }
        stream.write_all(result.len().to_string().as_bytes())?;
        if stream.read(&mut buf)? == 0 {
            return Ok(()); // gone before its "OK"
        }
        stream.write_all(&result)?;
    }
}

// ANCHOR: task
/// Runs `command` with `sh -c`, and returns what it printed on stdout. A
/// command still running after `limit` is killed with every process it
/// started, and its result ends with the line [`KILLED`].
fn run_limited(command: &str, limit: Duration) -> io::Result<Vec<u8>> {
    // EXERCISE: start `sh -c command` in a process group of its own (stdin from /dev/null, stdout piped); collect its stdout on a thread; if the output has not ended and the shell not exited by `limit`, kill the whole group (kill(-pgid, SIGKILL)) and add KILLED
    let deadline = Instant::now() + limit;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0) // its own group: one signal reaches all it starts
        .spawn()?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let (done, output) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.read_to_end(&mut out); // ends when every writer is gone
        let _ = done.send(out);
    });
    let left = deadline.saturating_duration_since(Instant::now());
    let mut out = output.recv_timeout(left).ok();
    // The output has ended; the shell may still run (with stdout elsewhere).
    while out.is_some() && child.try_wait()?.is_none() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    let finished = out.is_some() && child.try_wait()?.is_some();
    if !finished {
        let group = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
        // SAFETY: kill(2) has no memory-safety preconditions. The group is
        // our child's, which has not been reaped yet (no wait has returned
        // its status), so its id cannot have been reused.
        unsafe { libc::kill(-group, libc::SIGKILL) };
    }
    child.wait()?;
    let mut out = match out.take() {
        Some(out) => out,
        // Every process of the group is dead: the pipe's end comes at once.
        None => output.recv().map_err(io::Error::other)?,
    };
    if !finished {
        out.extend_from_slice(KILLED);
    }
    Ok(out)
    // END EXERCISE
}
// ANCHOR_END: task
