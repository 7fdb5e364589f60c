//! The client: commands from `input`, one a line, until it ends.
//!
//! The same loop serves a person at a prompt and a script: it reads a
//! line, runs it, writes the result to `out` and any failure as an
//! `error: ...` line to `err`. A failed command (no such file, refused,
//! md5 mismatch) does not end the session; a broken connection does. The
//! result is an error if anything failed. The binary passes stdin, stdout
//! and stderr, and decides whether to prompt and to draw progress bars.

use std::io::{self, BufRead, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::Protocol;
use crate::article_client::article_get;
use crate::connection::Connection;
use crate::digest::HashKind;
use crate::download::local_name;
use crate::error::Rejected;
use crate::framed_client;
use crate::progress::Progress;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where downloads go.
    pub dir: PathBuf,
    /// Overwrite existing files.
    pub force: bool,
    /// The protocol to speak.
    pub protocol: Protocol,
    /// The digest that checks a framed download (the article's protocol
    /// knows only md5).
    pub hash: HashKind,
    /// Write a prompt, `ftp> `, before each command (for a person at a
    /// terminal).
    pub prompt: bool,
    /// How long to wait for the server before giving up.
    pub timeout: Duration,
}

// ANCHOR: run_commands
/// Runs every command of `input`. Returns an error for a broken connection
/// at once, and at the end if any command failed.
pub fn run_commands(
    conn: &mut Connection,
    input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
    progress: &mut dyn Progress,
    options: &Options,
) -> Result<()> {
    let (mut ran, mut failed) = (0, 0);
    let mut lines = input.lines();
    loop {
        if options.prompt {
            write!(out, "ftp> ")?;
            out.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading a command")?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        ran += 1;
        match run_one(conn, line, out, progress, options) {
            Ok(()) => {}
            Err(e) if e.downcast_ref::<Rejected>().is_some() => {
                writeln!(err, "error: {e:#}")?;
                failed += 1;
            }
            Err(e) => return Err(explain_timeout(e, options.timeout)),
        }
    }
    if failed > 0 {
        bail!("{failed} of {ran} commands failed");
    }
    Ok(())
}
// ANCHOR_END: run_commands

fn explain_timeout(e: anyhow::Error, timeout: Duration) -> anyhow::Error {
    let timed_out = e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut))
    });
    if timed_out {
        e.context(format!(
            "the server did not answer within {} s",
            timeout.as_secs()
        ))
    } else {
        e
    }
}

fn run_one(
    conn: &mut Connection,
    line: &str,
    out: &mut impl Write,
    progress: &mut dyn Progress,
    options: &Options,
) -> Result<()> {
    let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    match (options.protocol, verb) {
        (_, "get") if arg.is_empty() => Err(Rejected("usage: get NAME".into()).into()),
        (Protocol::Article, "get") => {
            progress.start(arg);
            let size = article_get(
                conn.stream(),
                arg,
                &options.dir,
                options.force,
                &mut |n, total| progress.update(n, total),
            )
            .with_context(|| format!("get {arg}"));
            progress.finish();
            let size = size?;
            writeln!(
                out,
                "saved {} ({size} bytes, md5 verified)",
                local_name(arg)?
            )?;
            Ok(())
        }
        (Protocol::Article, _) => Err(Rejected(format!(
            "the article's protocol has only `get NAME`, not `{verb}`"
        ))
        .into()),
        (Protocol::Framed, "get") => {
            let (dir, force, hash) = (&options.dir, options.force, options.hash);
            framed_client::get(conn, arg, dir, force, hash, out, progress)
        }
        (Protocol::Framed, "put") => framed_client::put(conn, Path::new(arg), out),
        (Protocol::Framed, "stat") => framed_client::stat(conn, arg, out),
        (Protocol::Framed, "ls") => framed_client::ls(conn, arg, out),
        _ => Err(Rejected(format!(
            "unknown command `{verb}` (get NAME, put PATH, ls [DIR], stat NAME)"
        ))
        .into()),
    }
}
