// Exercise ch4-safe-path: Serve only the files under a root: no `..`, no absolute paths, no symlinks out
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-safe-path -- --port 0 --root my-exercises`
// Check it: `cargo exercise check ch4-safe-path`. Stuck? `cargo exercise hint ch4-safe-path`.

//! Resolve a requested name safely under a root.
//!
//! A tiny file server for one folder, `--root DIR`. Each request is a line
//! with a file name; the answer is `ok SIZE` and a newline, then the file's
//! bytes; or `refused` when the name leads outside the folder (`..`, an
//! absolute path, a symlink pointing out) or is not a regular file; or
//! `missing` when nothing has that name.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::thread;

use anyhow::Result;
use book_support::cli::{announce, run};
use clap::Parser;

/// Serves the files under one folder, and nothing else.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 1999)]
    port: u16,
    /// The folder to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

/// Why a name is not served.
#[derive(Debug, PartialEq, Eq)]
enum Problem {
    /// Outside the root, or not a regular file.
    Refused,
    /// Nothing has that name.
    Missing,
}

// ANCHOR: task
/// The regular file that `name` names under `root` (already canonical),
/// with every symlink resolved, or why not.
fn resolve_under_root(root: &Path, name: &str) -> Result<PathBuf, Problem> {
    // TODO: refuse empty, absolute and `..` names; canonicalize root.join(name) (missing if that fails); refuse results outside root and non-regular files
    todo!(
        "refuse empty, absolute and `..` names; canonicalize root.join(name) (missing if that fails); refuse results outside root and non-regular files"
    )
}
// ANCHOR_END: task

fn serve(stream: TcpStream, root: &Path) -> Result<()> {
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    let mut line = String::new();
    while input.read_line(&mut line)? > 0 {
        let name = line.trim_end_matches(['\r', '\n']);
        match resolve_under_root(root, name) {
            Ok(path) => {
                let bytes = fs::read(path)?;
                output.write_all(format!("ok {}\n", bytes.len()).as_bytes())?;
                output.write_all(&bytes)?;
            }
            Err(Problem::Refused) => output.write_all(b"refused\n")?,
            Err(Problem::Missing) => output.write_all(b"missing\n")?,
        }
        line.clear();
    }
    Ok(())
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let root = args.root.canonicalize()?;
        let listener = TcpListener::bind(("127.0.0.1", args.port))?;
        announce(listener.local_addr()?);
        for stream in listener.incoming() {
            let stream = stream?;
            let root = root.clone();
            thread::spawn(move || {
                if let Err(e) = serve(stream, &root) {
                    eprintln!("error: {e:#}");
                }
            });
        }
        Ok(())
    })
}
