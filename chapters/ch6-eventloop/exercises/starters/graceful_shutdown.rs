// Exercise ch6-graceful-shutdown: Graceful shutdown: stop accepting, finish what is in flight, exit 0
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch6-graceful-shutdown -- --port 0`
// Check it: `cargo exercise check ch6-graceful-shutdown`. Stuck? `cargo exercise hint ch6-graceful-shutdown`.

//! Exercise ch6-graceful-shutdown: stop on SIGTERM or Ctrl-C without
//! dropping what is in flight.
//!
//! A tokio upper-casing server (a line in; the line stripped and
//! upper-cased back). Each connection's task is written, and it already
//! knows how to stop: when the `watch` channel says so, it answers the
//! lines that have arrived and ends. The accept loop and the shutdown are
//! yours: on SIGTERM or SIGINT stop accepting, tell the connections, wait
//! for them (a bounded time), and return so the program exits with 0.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use book_support::cli::{announce, run};
use clap::Parser;
use socket2::SockRef;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Serves the upper-casing protocol until SIGTERM or Ctrl-C.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// How long the connections get to finish after the signal.
const GRACE: Duration = Duration::from_secs(3);

/// Lines in, answers out. When `stop` changes, the socket is shut for
/// reading: the lines already received are read and answered, then EOF.
async fn serve_connection(stream: TcpStream, mut stop: watch::Receiver<bool>) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    let mut stopping = false;
    loop {
        tokio::select! {
            read = reader.read_until(b'\n', &mut line) => {
                if read? == 0 || !line.ends_with(b"\n") {
                    return Ok(());
                }
                writer.write_all(&line.trim_ascii().to_ascii_uppercase()).await?;
                line.clear();
            }
            _ = stop.changed(), if !stopping => {
                SockRef::from(writer.as_ref()).shutdown(std::net::Shutdown::Read)?;
                stopping = true;
            }
        }
    }
}

// ANCHOR: task
/// Accepts connections, each into a task of `tasks`, until SIGTERM or
/// SIGINT; then stops accepting, tells every task through the channel,
/// and waits at most [`GRACE`] for them all.
async fn serve(listener: TcpListener) -> io::Result<()> {
    // TODO: accept until a signal, then stop accepting, tell the tasks, and wait for them (bounded)
    todo!("accept until a signal, then stop accepting, tell the tasks, and wait for them (bounded)")
}
// ANCHOR_END: task

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(async {
            let listener = TcpListener::bind(("127.0.0.1", args.port)).await?;
            announce(listener.local_addr()?);
            serve(listener).await?;
            eprintln!("stopped");
            Ok(())
        })
    })
}
