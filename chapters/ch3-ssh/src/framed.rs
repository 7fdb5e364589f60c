//! The framed protocol: the article's job done with frames.
//!
//! ```text
//! client                                   server
//!   | -- Auth(secret) -----------------------> |   (only when the server has one)
//!   | <------------------------------ AuthOk --|
//!   | -- Command("make test") ---------------> |   starts it
//!   | <---------------------- Stdout(chunk) ---|   as the command writes
//!   | <---------------------- Stderr(chunk) ---|
//!   | <---------------------- Stdout(chunk) ---|
//!   | <-------------------------- Exit(2) -----|   it has ended
//! ```
//!
//! Compared with the article's protocol: no acknowledgement round trip (each
//! frame says how long it is, so nothing can run together); output arrives
//! while the command runs instead of after it ends; stderr and the exit
//! status come back too; an empty result needs no stand-in text; and the
//! server can say why it stopped a command ([`Kind::Notice`]).

use std::io::{self, Write};
use std::net::TcpStream;

use anyhow::{Context, Result, bail};

use crate::article;
use crate::frame::{Frame, Kind, read_frame, write_frame};

/// The end of a command, as the client sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// Everything the command wrote to stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to stderr.
    pub stderr: Vec<u8>,
    /// What the server said about it (time limit, output cap, ...).
    pub notices: Vec<String>,
    /// Its exit status.
    pub status: i32,
}

/// Presents the shared secret and waits for the server's verdict.
// ANCHOR: authenticate
pub fn authenticate(stream: &mut TcpStream, secret: &str) -> Result<()> {
    write_frame(stream, Kind::Auth, secret.as_bytes()).context("cannot send the secret")?;
    match read_frame(stream).context("no answer to the secret")? {
        Some(Frame {
            kind: Kind::AuthOk, ..
        }) => Ok(()),
        Some(Frame {
            kind: Kind::Notice,
            payload,
        }) => {
            bail!("the server refused: {}", String::from_utf8_lossy(&payload))
        }
        Some(other) => bail!("unexpected answer to the secret: {other:?}"),
        None => bail!("the server closed the connection instead of answering the secret"),
    }
}
// ANCHOR_END: authenticate

/// Runs one command, handing each frame of the answer to `on_frame` as it
/// arrives (the interactive client prints it at once), until `Exit`.
// ANCHOR: run_remote
pub fn run_remote(
    stream: &mut TcpStream,
    command: &str,
    mut on_frame: impl FnMut(&Frame) -> io::Result<()>,
) -> Result<i32> {
    write_frame(stream, Kind::Command, command.as_bytes()).context("cannot send the command")?;
    loop {
        let frame = read_frame(stream)
            .context("cannot receive the answer")?
            .context("the server closed the connection before the command ended")?;
        on_frame(&frame)?;
        match frame.kind {
            Kind::Exit => return Ok(frame.exit_status()?),
            Kind::Stdout | Kind::Stderr | Kind::Notice => {}
            other => bail!("unexpected {other:?} frame in an answer"),
        }
    }
}
// ANCHOR_END: run_remote

/// Runs one command and collects the whole answer.
pub fn request(stream: &mut TcpStream, command: &str) -> Result<Reply> {
    let mut reply = Reply::default();
    reply.status = run_remote(stream, command, |frame| {
        match frame.kind {
            Kind::Stdout => reply.stdout.extend_from_slice(&frame.payload),
            Kind::Stderr => reply.stderr.extend_from_slice(&frame.payload),
            Kind::Notice => reply
                .notices
                .push(String::from_utf8_lossy(&frame.payload).into()),
            _ => {}
        }
        Ok(())
    })?;
    Ok(reply)
}

/// The client's interactive loop in the framed protocol: stdout chunks to
/// `out` as they arrive, stderr chunks and the server's notices to `err`,
/// then the exit status.
pub fn interact(
    stream: &mut TcpStream,
    input: &mut impl io::BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<()> {
    loop {
        write!(out, "{}", article::PROMPT)?;
        out.flush()?;
        let Some(command) = article::next_command(input)? else {
            return Ok(());
        };
        if command.is_empty() {
            continue;
        }
        let mut ends_with_newline = true;
        let status = run_remote(stream, &command, |frame| {
            match frame.kind {
                Kind::Stdout if !frame.payload.is_empty() => {
                    out.write_all(&frame.payload)?;
                    out.flush()?;
                    ends_with_newline = frame.payload.ends_with(b"\n");
                }
                Kind::Stderr => {
                    err.write_all(&frame.payload)?;
                    err.flush()?;
                }
                Kind::Notice => {
                    if !ends_with_newline {
                        writeln!(out)?; // keep the notice off a half-printed line
                        out.flush()?;
                        ends_with_newline = true;
                    }
                    writeln!(err, "[server] {}", String::from_utf8_lossy(&frame.payload))?;
                }
                _ => {}
            }
            Ok(())
        })?;
        if !ends_with_newline {
            writeln!(out)?;
        }
        writeln!(out, "exit status: {status}")?;
    }
}
