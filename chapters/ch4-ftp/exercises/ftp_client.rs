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
    // EXERCISE: connect; for each `get NAME` line of stdin download NAME into args.dir: bytes to a temporary name while hashing them, then exactly 32 digest bytes; rename to NAME only if the md5 matches, else delete; print "ok NAME", "mismatch NAME" or "error NAME: WHY"; a broken connection is an error
    let mut stream = TcpStream::connect((args.host.as_str(), args.port))
        .with_context(|| format!("cannot connect to {}:{}", args.host, args.port))?;
    let mut out = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let line = line.context("cannot read a command")?;
        let Some(name) = line.strip_prefix("get ").filter(|n| !n.is_empty()) else {
            if !line.trim().is_empty() {
                eprintln!("usage: get NAME");
            }
            continue;
        };
        // The server never chooses where we write: its last part only.
        let Some(local) = Path::new(name).file_name() else {
            writeln!(out, "error {name}: not a file name")?;
            continue;
        };
        let part = args.dir.join(format!("{}.part", local.to_string_lossy()));
        let outcome = download(&mut stream, name, &part);
        match &outcome {
            Ok(Outcome::Matched) => fs::rename(&part, args.dir.join(local))?,
            _ => {
                let _ = fs::remove_file(&part); // wrong or half: keep nothing
            }
        }
        match outcome {
            Ok(Outcome::Matched) => writeln!(out, "ok {name}")?,
            Ok(Outcome::Mismatch) => writeln!(out, "mismatch {name}")?,
            Ok(Outcome::Refused(why)) => writeln!(out, "error {name}: {why}")?,
            Err(err) => {
                writeln!(out, "error {name}: {err:#}")?;
                return Err(err); // the connection is gone
            }
        }
        out.flush()?;
    }
    Ok(())
}

/// One `get NAME`: the bytes go to `part`, hashed as they arrive.
fn download(stream: &mut TcpStream, name: &str, part: &Path) -> Result<Outcome> {
    stream.write_all(format!("get {name}").as_bytes())?;
    let mut header = [0u8; 1024];
    let n = stream.read(&mut header)?;
    if n == 0 {
        bail!("the server closed the connection instead of answering");
    }
    let text = String::from_utf8_lossy(&header[..n]).into_owned();
    if let Some(why) = text.strip_prefix("error: ") {
        return Ok(Outcome::Refused(why.to_string()));
    }
    let size: u64 = match text.parse() {
        Ok(size) if size <= MAX_FILE_SIZE => size,
        _ => bail!("the server sent {text:?} where a size belongs"),
    };
    stream.write_all(b"OK")?;

    let mut file =
        File::create(part).with_context(|| format!("cannot create {}", part.display()))?;
    let mut md5 = Md5::new();
    let mut left = size;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        // Never more than is owed: the digest follows at once.
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = stream.read(&mut buf[..want])?;
        if n == 0 {
            bail!(
                "the server closed the connection after {} of {size} bytes",
                size - left
            );
        }
        md5.update(&buf[..n]);
        file.write_all(&buf[..n])?;
        left -= n as u64;
    }
    let mut digest = [0u8; 32];
    stream
        .read_exact(&mut digest)
        .context("the md5 did not come whole")?;
    file.sync_all()?;
    let ours: String = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(if ours.as_bytes() == digest {
        Outcome::Matched
    } else {
        Outcome::Mismatch
    })
    // END EXERCISE
}
// ANCHOR_END: task
