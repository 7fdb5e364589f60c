// Exercise ch4-ftp-client: The course's ftp client, rewritten: check the md5, never keep a half file
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-ftp-client -- --port 0 --dir /tmp/ch4-ftp-client.sock`
// Check it: `cargo exercise check ch4-ftp-client`. Stuck? `cargo exercise hint ch4-ftp-client`.

//! The course's ftp client, rewritten so that it really checks its md5.
//!
//! It reads one command a line from stdin, `get NAME`, and downloads each
//! file into `--dir` in the course's protocol:
//!
//! ```text
//! client: get NAME            (one send, no newline)
//! server: SIZE                (decimal digits), or "error: WHY"
//! client: OK
//! server: SIZE bytes of the file, then at once 32 hex digits of its md5
//! ```
//!
//! For each file it prints one line on stdout: `ok NAME` when the md5 of
//! the bytes received matches, `mismatch NAME` when it does not, `error
//! NAME: WHY` when the server refused or the transfer broke. A file lands
//! under its name only when its md5 matched: never a half file, never a
//! wrong one. A broken connection ends the program with a non-zero status.
//!
//! ```text
//! cargo run -p ch4-ftp --bin ftp-server -- --protocol article --port 1999 --root some/folder
//! echo "get notes.txt" | cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-ftp-client -- --port 1999 --dir .
//! ```

use std::fs::{self, File};
use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use md5::{Digest, Md5};

/// The largest size this client believes.
const MAX_FILE_SIZE: u64 = 1 << 40;

/// Downloads the files named on stdin (`get NAME`, one a line).
#[derive(Debug, Parser)]
struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 1999)]
    port: u16,
    /// The folder to download into.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

/// How one download ended, the connection still usable.
enum Outcome {
    /// The md5 matched; the file is under its name.
    Matched,
    /// The md5 did not match; nothing was kept.
    Mismatch,
    /// The server refused, saying why.
    Refused(String),
}

fn main() -> std::process::ExitCode {
    book_support::cli::run(|| run(&Args::parse()))
}

// ANCHOR: task
/// The whole client: connect, then one download per `get NAME` line.
fn run(args: &Args) -> Result<()> {
    // TODO: connect; for each `get NAME` line of stdin download NAME into args.dir: bytes to a temporary name while hashing them, then exactly 32 digest bytes; rename to NAME only if the md5 matches, else delete; print "ok NAME", "mismatch NAME" or "error NAME: WHY"; a broken connection is an error
    todo!(
        "connect; for each `get NAME` line of stdin download NAME into args.dir: bytes to a temporary name while hashing them, then exactly 32 digest bytes; rename to NAME only if the md5 matches, else delete; print \"ok NAME\", \"mismatch NAME\" or \"error NAME: WHY\"; a broken connection is an error"
    )
}
// ANCHOR_END: task
