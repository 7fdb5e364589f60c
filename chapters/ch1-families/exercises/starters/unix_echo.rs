// Exercise ch1-unix-echo: A Unix datagram echo server that replies to each sender's path
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-unix-echo -- /tmp/ch1-unix-echo.sock`
// Check it: `cargo exercise check ch1-unix-echo`. Stuck? `cargo exercise hint ch1-unix-echo`.

//! A Unix datagram echo server: every datagram goes back to the path of the
//! socket that sent it.
//!
//! Start your copy, and talk to it with the chapter's client:
//!
//! ```text
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-unix-echo -- /tmp/echo.sock
//! printf 'hello\n' | cargo run -p ch1-families --bin echo-client -- --transport unix-dgram --path /tmp/echo.sock
//! ```

use std::fs;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

/// A Unix datagram echo server.
#[derive(Debug, Parser)]
struct Args {
    /// The socket file to create.
    path: PathBuf,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        remove_stale_socket(&args.path)?;
        let socket = UnixDatagram::bind(&args.path)
            .with_context(|| format!("cannot bind {}", args.path.display()))?;
        // Remove the socket file when we stop with an error. (Ctrl-C ends
        // the program without it: the next start removes the stale file.)
        let _file = RemoveOnDrop(&args.path);
        // A client that never reads would make a reply wait forever, and
        // every other client with it.
        socket
            .set_write_timeout(Some(Duration::from_secs(1)))
            .context("cannot set a send timeout")?;
        book_support::cli::announce(args.path.display());
        serve(&socket)
    })
}

/// A killed server leaves its socket file behind, and `bind` on that path
/// then fails with "Address already in use". Remove such a file, but only
/// if it is a socket and nobody answers on it.
fn remove_stale_socket(path: &Path) -> Result<()> {
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err).with_context(|| format!("cannot look at {}", path.display())),
    };
    if !metadata.file_type().is_socket() {
        bail!(
            "{} exists and is not a socket; not removing it",
            path.display()
        );
    }
    let probe = UnixDatagram::unbound().context("cannot create a socket")?;
    match probe.connect(path) {
        // Refused: no socket is bound to the file any more.
        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => fs::remove_file(path)
            .with_context(|| format!("cannot remove the stale socket {}", path.display())),
        Ok(()) => bail!("another program is serving on {}", path.display()),
        Err(err) => {
            Err(err).with_context(|| format!("cannot tell whether {} is in use", path.display()))
        }
    }
}

/// Removes the socket file when dropped.
struct RemoveOnDrop<'a>(&'a Path);

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        let _ = fs::remove_file(self.0);
    }
}

/// Sends every datagram that arrives back to the socket that sent it.
fn serve(socket: &UnixDatagram) -> Result<()> {
    // TODO: receive every datagram with `recv_from` and send it back to its sender with `send_to_addr`, skipping senders with no address
    todo!(
        "receive every datagram with `recv_from` and send it back to its sender with `send_to_addr`, skipping senders with no address"
    )
}
