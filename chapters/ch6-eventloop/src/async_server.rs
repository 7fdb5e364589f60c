//! The same server on tokio: what async writes for you.
//!
//! Each connection is a task written as if it blocked: read a line, write
//! its answer. Under it, tokio runs the loop of [`crate::mio_loop`]: mio,
//! a table of tasks by token, and a task's state kept between events (the
//! `inbox` and `outbox` of [`crate::conn::Connection`] are the task's
//! `BufReader` and the `write_all` it is waiting in). Backpressure comes
//! free: a task waiting for `write_all` does not read.

use std::io;
use std::net::TcpListener as StdListener;

use anyhow::Result;
use book_support::accept::ACCEPT_BACKOFF;
use ch5_socketserver::upper::{MAX_LINE, upper_reply};
use socket2::SockRef;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::listen::{Backoff, GRACE};

// ANCHOR: connection
/// One connection: lines in, answers out, until EOF or until shutdown,
/// when it reads what has arrived and no more.
async fn serve_connection(
    stream: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    let mut stopping = false;
    loop {
        let mut limited = (&mut reader).take((MAX_LINE + 1 - line.len()) as u64);
        tokio::select! {
            // Cancelled by the other branch, `read_until` keeps what it has
            // read in `line`, and the next turn carries on from there.
            read = limited.read_until(b'\n', &mut line) => {
                if read? == 0 || !line.ends_with(b"\n") {
                    if line.len() > MAX_LINE {
                        return Err(io::Error::other("a line too long"));
                    }
                    return Ok(()); // EOF: an unfinished line gets no answer
                }
                writer.write_all(&upper_reply(&line)).await?;
                line.clear();
            }
            _ = shutdown.changed(), if !stopping => {
                // The blocking servers' trick: shut the socket for reading;
                // reads return what arrived, then EOF.
                SockRef::from(writer.as_ref()).shutdown(std::net::Shutdown::Read)?;
                stopping = true;
            }
        }
    }
}
// ANCHOR_END: connection

// ANCHOR: serve
/// Accepts until Ctrl-C or SIGTERM, then waits (at most [`GRACE`]) for the
/// connections to answer what they received.
pub async fn serve(listener: StdListener) -> Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut backoff = Backoff::default();
    let log = |line: &str| eprintln!("{line}");
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff.accepted(log);
                    // A vanished client is its task's business, not ours.
                    tasks.spawn(serve_connection(stream, stopped.clone()));
                }
                Err(e) => {
                    if backoff.failed(&e, log) {
                        // Out of descriptors: the listener stays readable,
                        // so pause this loop, not the runtime. The tasks
                        // of the clients we have run on meanwhile.
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                }
            },
            Some(_) = tasks.join_next() => {} // forget finished connections
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    drop(listener); // stop accepting
    eprintln!("shutting down: {} connection(s) to finish", tasks.len());
    let _ = stop.send(true);
    let all_done = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(GRACE, all_done).await.is_err() {
        eprintln!("gave up on {} connection(s)", tasks.len());
    }
    eprintln!("stopped");
    Ok(())
}
// ANCHOR_END: serve

/// Runs [`serve`] on a multi-threaded runtime (a worker thread per core).
pub fn run(listener: StdListener) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(listener))
}
