//! Judging a client: the checker plays the server.
//!
//! A server under test prints `listening on ADDR` and waits; a client under
//! test is the other way round. [`run_client`] listens on loopback, starts
//! the program with `{port}` set to that port, gives it its standard input,
//! hands its first connection to the checker's side of the conversation,
//! and gives the program a bounded time to end, keeping what it printed.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use super::wire::SETTLE;
use super::{ANSWER_TIMEOUT, Failure, Session, describe_stderr};
use crate::observe::{eventually, wait_for_child};
use crate::process::STARTUP_TIMEOUT;

const MAX_STDOUT: usize = 64 * 1024 * 1024;

/// How a client run ended.
#[derive(Debug)]
pub struct ClientRun {
    /// Its exit status; `None` if it was still running when the checker
    /// stopped waiting (and killed it).
    pub status: Option<ExitStatus>,
    /// What it printed on stdout (at most 64 MiB).
    pub stdout: Vec<u8>,
    /// What it printed on stderr.
    pub stderr: String,
    /// How the checker's side of the conversation went.
    pub served: Result<(), Failure>,
}

impl ClientRun {
    /// A failure of `step`, with what the program said on stderr.
    pub fn fail(&self, step: &str, expected: impl Into<String>, got: impl Into<String>) -> Failure {
        let failure = Failure::new(step, expected, got);
        match describe_stderr(&self.stderr) {
            Some(note) => failure.with_note(note),
            None => failure,
        }
    }

    /// How the run ended, in words.
    pub fn ending(&self) -> String {
        match self.status {
            Some(status) => format!("the program ended ({status})"),
            None => "the program was still running (the checker stopped it)".to_string(),
        }
    }
}

/// Reads a pipe to its end on a thread of its own, keeping at most `cap`
/// bytes. The bytes so far are in the shared buffer; the channel says the
/// end came.
fn collect(
    mut pipe: impl Read + Send + 'static,
    cap: usize,
) -> (Arc<Mutex<Vec<u8>>>, mpsc::Receiver<()>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let (done, ended) = mpsc::channel();
    let into = Arc::clone(&kept);
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = super::again_if_interrupted(|| pipe.read(&mut buf)) {
            if n == 0 {
                break;
            }
            let mut kept = into.lock().unwrap_or_else(|e| e.into_inner());
            let room = cap.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        let _ = done.send(());
    });
    (kept, ended)
}

/// Runs the program under test as a client of a server the checker plays.
///
/// `{port}` in its command line becomes the port of a listener on
/// 127.0.0.1, and `{path}` becomes `path`. The program gets `stdin`, then
/// the end of its input. Its first connection is handed to `serve`; once
/// `serve` is done the program has [`ANSWER_TIMEOUT`] to exit.
pub fn run_client(
    session: &Session,
    path: Option<&Path>,
    stdin: &[u8],
    serve: impl FnOnce(TcpStream) -> Result<(), Failure>,
) -> Result<ClientRun, Failure> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| {
            Failure::new(
                "listening on 127.0.0.1",
                "a listening socket",
                e.to_string(),
            )
        })?;
    let port = listener
        .local_addr()
        .map_err(|e| Failure::new("listening on 127.0.0.1", "a port", e.to_string()))?
        .port()
        .to_string();
    let Some(mut command) = session.program().command(&port, path) else {
        return Err(Failure::new(
            "starting the program",
            "a command line",
            "an empty one",
        ));
    };
    let program = session.program().display();
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::process::default_signals(&mut command);
    let mut child = command.spawn().map_err(|e| {
        Failure::new(
            "starting the program",
            "a program that starts",
            format!("cannot start `{program}`: {e}"),
        )
    })?;
    let (stdout, stdout_ended) = collect(child.stdout.take().expect("piped"), MAX_STDOUT);
    let (stderr, stderr_ended) = collect(child.stderr.take().expect("piped"), 64 * 1024);
    let mut input = child.stdin.take().expect("piped");
    let text = stdin.to_vec();
    // Then the pipe closes: the end of the program's input.
    thread::spawn(move || input.write_all(&text));

    let mut connection = None;
    eventually(STARTUP_TIMEOUT, || {
        if let Ok((stream, _)) = listener.accept() {
            connection = Some(stream);
            return true;
        }
        matches!(child.try_wait(), Ok(Some(_)))
    });
    if connection.is_none() {
        // A program that connected and ended at once is still in the queue.
        connection = listener.accept().ok().map(|(stream, _)| stream);
    }
    let served = match connection {
        Some(stream) => {
            let ready = stream
                .set_nonblocking(false)
                .and_then(|()| stream.set_read_timeout(Some(ANSWER_TIMEOUT)))
                .and_then(|()| stream.set_write_timeout(Some(ANSWER_TIMEOUT)));
            match ready {
                Ok(()) => Some(serve(stream)),
                Err(e) => Some(Err(Failure::new(
                    "talking to the program",
                    "a usable connection",
                    e.to_string(),
                ))),
            }
        }
        None => None,
    };
    // Whatever happened, the program has a bounded time to end by itself.
    let wait = if served.is_some() {
        ANSWER_TIMEOUT
    } else {
        Duration::ZERO
    };
    let status = wait_for_child(&mut child, wait);
    if status.is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
    // The pipes end with the program, unless something it started holds them.
    let _ = stdout_ended.recv_timeout(SETTLE);
    let _ = stderr_ended.recv_timeout(SETTLE);
    let take = |kept: &Arc<Mutex<Vec<u8>>>| {
        std::mem::take(&mut *kept.lock().unwrap_or_else(|e| e.into_inner()))
    };
    let mut run = ClientRun {
        status,
        stdout: take(&stdout),
        stderr: String::from_utf8_lossy(&take(&stderr)).into_owned(),
        served: Ok(()),
    };
    run.served = match served {
        Some(result) => result,
        None => Err(Failure::new(
            "the program connects to the server (127.0.0.1, the port after --port)",
            "a connection",
            format!("none: {}", run.ending()),
        )),
    };
    if let Err(failure) = &mut run.served
        && failure.note.is_none()
    {
        failure.note = describe_stderr(&run.stderr);
    }
    Ok(run)
}
