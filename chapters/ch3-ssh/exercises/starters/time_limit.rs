// Exercise ch3-time-limit: Kill a command that runs too long, with everything it started
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch3-time-limit -- --port 0 --time-limit 1`
// Check it: `cargo exercise check ch3-time-limit`. Stuck? `cargo exercise hint ch3-time-limit`.

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
    // TODO: start `sh -c command` in a process group of its own (stdin from /dev/null, stdout piped); collect its stdout on a thread; if the output has not ended and the shell not exited by `limit`, kill the whole group (kill(-pgid, SIGKILL)) and add KILLED
    todo!(
        "start `sh -c command` in a process group of its own (stdin from /dev/null, stdout piped); collect its stdout on a thread; if the output has not ended and the shell not exited by `limit`, kill the whole group (kill(-pgid, SIGKILL)) and add KILLED"
    )
}
// ANCHOR_END: task
