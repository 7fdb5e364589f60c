//! The client: commands from stdin, one a line, until end of input.
//!
//! The same loop serves a person at a prompt and a script: it reads a
//! line, runs it, prints the result on stdout and any failure as an
//! `error: ...` line on stderr. A failed command (no such file, refused,
//! md5 mismatch) does not end the session; a broken connection does. The
//! exit code is non-zero if anything failed.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, ErrorKind, IsTerminal, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::MAX_FILE_SIZE;
use crate::article::article_get;
use crate::digest::hash_file;
use crate::download::{Download, local_name};
use crate::framed::{MAX_REPLY, Reply, Request, read_frame, send_request};
use crate::send::{SendMethod, send_file_range};
use crate::server::Protocol;

/// A command that failed while the connection stayed usable: the server
/// refused, a file exists, a digest did not match.
#[derive(Debug)]
pub struct Rejected(pub String);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where downloads go.
    pub dir: PathBuf,
    /// Overwrite existing files.
    pub force: bool,
    /// The protocol to speak.
    pub protocol: Protocol,
    /// Draw a progress bar (on a terminal only).
    pub progress: bool,
    /// How long to wait for the server before giving up.
    pub timeout: Duration,
}

/// A connection: replies and file bytes are read through a buffer,
/// requests written straight to the socket.
#[derive(Debug)]
pub struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    /// Connects to `host:port`, with `timeout` for every wait on the server.
    pub fn open(host: &str, port: u16, timeout: Duration) -> Result<Connection> {
        let stream = TcpStream::connect((host, port))
            .with_context(|| format!("cannot connect to {host}:{port}"))?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(Connection {
            reader: BufReader::with_capacity(crate::CHUNK, stream.try_clone()?),
            writer: stream,
        })
    }

    fn reply(&mut self) -> Result<Reply> {
        let payload =
            read_frame(&mut self.reader, MAX_REPLY)?.context("the server closed the connection")?;
        Reply::parse(&payload).map_err(|e| anyhow!("broken reply: {e}"))
    }
}

// ANCHOR: run_commands
/// Runs every command of `input`. Returns an error for a broken connection
/// at once, and at the end if any command failed.
pub fn run_commands(conn: &mut Connection, input: impl BufRead, options: &Options) -> Result<()> {
    let prompt = io::stdin().is_terminal();
    let (mut ran, mut failed) = (0, 0);
    let mut lines = input.lines();
    loop {
        if prompt {
            print!("ftp> ");
            io::stdout().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line.context("reading a command")?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        ran += 1;
        match run_one(conn, line, options) {
            Ok(()) => {}
            Err(e) if e.downcast_ref::<Rejected>().is_some() => {
                eprintln!("error: {e:#}");
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

fn run_one(conn: &mut Connection, line: &str, options: &Options) -> Result<()> {
    let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    match (options.protocol, verb) {
        (_, "get") if arg.is_empty() => Err(Rejected("usage: get NAME".into()).into()),
        (Protocol::Article, "get") => {
            let bar = progress_bar(options.progress, arg);
            let size = article_get(
                &mut conn.writer,
                arg,
                &options.dir,
                options.force,
                &mut |n, total| {
                    bar.set_length(total);
                    bar.set_position(n);
                },
            )
            .with_context(|| format!("get {arg}"));
            bar.finish_and_clear();
            let size = size?;
            println!("saved {} ({size} bytes, md5 verified)", local_name(arg)?);
            Ok(())
        }
        (Protocol::Article, _) => Err(Rejected(format!(
            "the article's protocol has only `get NAME`, not `{verb}`"
        ))
        .into()),
        (Protocol::Framed, "get") => framed_get(conn, arg, options),
        (Protocol::Framed, "put") => framed_put(conn, Path::new(arg)),
        (Protocol::Framed, "stat") => {
            send_request(&mut conn.writer, &Request::Stat { name: arg.into() })?;
            match conn.reply()? {
                Reply::Stat { size, md5 } => println!("{arg}: {size} bytes, md5 {md5}"),
                other => return Err(unexpected(other)),
            }
            Ok(())
        }
        (Protocol::Framed, "ls") => {
            send_request(&mut conn.writer, &Request::Ls { dir: arg.into() })?;
            match conn.reply()? {
                Reply::List(entries) => {
                    for e in entries {
                        let size = e.size.map_or("-".into(), |s| s.to_string());
                        // A name is the server's: never raw to the terminal.
                        let name = book_support::cli::printable(&e.name);
                        println!("{} {size:>12} {name}", e.kind);
                    }
                }
                other => return Err(unexpected(other)),
            }
            Ok(())
        }
        _ => Err(Rejected(format!(
            "unknown command `{verb}` (get NAME, put PATH, ls [DIR], stat NAME)"
        ))
        .into()),
    }
}

/// An error reply becomes a [`Rejected`]; anything else out of place is a
/// broken server.
fn unexpected(reply: Reply) -> anyhow::Error {
    match reply {
        Reply::Error { code, message } => {
            Rejected(format!("the server says: {message} ({code})")).into()
        }
        other => anyhow!("unexpected reply {:?}", other.encode()),
    }
}

// ANCHOR: framed_get
/// `get NAME` in the framed protocol, resuming from `NAME.part` if an
/// earlier attempt left one.
fn framed_get(conn: &mut Connection, name: &str, options: &Options) -> Result<()> {
    let mut download = Download::begin(&options.dir, name, options.force)?;
    let have = download.have();
    send_request(
        &mut conn.writer,
        &Request::Get {
            name: name.into(),
            offset: have,
        },
    )?;
    let (size, offset, md5) = match conn.reply()? {
        Reply::File { size, offset, md5 } => (size, offset, md5),
        other => {
            download.abandon();
            return Err(unexpected(other));
        }
    };
    if size > MAX_FILE_SIZE || offset > size {
        bail!("the server announced {size} bytes from {offset}: not believable");
    }
    download.start_at(offset)?;
    if offset > 0 {
        println!("resuming {name} at byte {offset}");
    }
    let bar = progress_bar(options.progress, name);
    bar.set_length(size);
    let received = download.receive(&mut conn.reader, size - offset, &mut |n| {
        bar.set_position(n)
    });
    bar.finish_and_clear();
    if let Err(e) = received {
        return Err(e).with_context(|| {
            format!(
                "get {name}: the transfer broke off; the partial file is kept in {} \
                 and `get {name}` resumes it",
                download.part_path().display()
            )
        });
    }
    let saved = download
        .finish(&md5)
        .with_context(|| format!("get {name}"))?;
    println!("saved {} ({size} bytes, md5 {md5})", saved.display());
    Ok(())
}
// ANCHOR_END: framed_get

/// `put PATH`: stat and hash the local file, ask, send, check the answer.
fn framed_put(conn: &mut Connection, path: &Path) -> Result<()> {
    let name = local_name(&path.to_string_lossy())?;
    let mut file =
        File::open(path).map_err(|e| Rejected(format!("cannot open {}: {e}", path.display())))?;
    let size = file.metadata()?.len();
    let md5 = hash_file(path)?;
    send_request(
        &mut conn.writer,
        &Request::Put {
            name: name.clone(),
            size,
            md5: md5.clone(),
        },
    )?;
    match conn.reply()? {
        Reply::Ready => {}
        other => return Err(unexpected(other)),
    }
    send_file_range(&conn.writer, &mut file, 0, size, SendMethod::Sendfile)?;
    match conn.reply()? {
        Reply::Done { md5: theirs } if theirs == md5 => {
            println!("uploaded {name} ({size} bytes, md5 {md5})");
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// A progress bar with rate and time left, or a hidden one when not wanted.
fn progress_bar(enabled: bool, name: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    ProgressBar::new(0)
        .with_style(style)
        .with_message(name.to_string())
}
