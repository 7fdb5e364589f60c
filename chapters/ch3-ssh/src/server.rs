//! The server: many clients at once, both protocols on one port.
//!
//! The article's server serves one client at a time: while it talks to one,
//! the next waits in the listen queue. Ours gives every connection a thread
//! of its own, so a slow command for one client holds up nobody else, and a
//! client that vanishes (even mid-command) ends only its own thread.
//!
//! Which protocol a connection speaks is decided by its first byte, read
//! with `peek` so it stays in the socket for the handler. A frame starts
//! with the top byte of a big-endian length under 16 MiB, which is always
//! zero; a command typed at the article's client never starts with a zero
//! byte.
//!
//! A place among the `max_clients` is not held for ever by a client that
//! sends nothing: every message a client sends must arrive whole by a
//! [`deadline`]. With a secret, the secret must arrive
//! within [`Config::login_timeout`] of connecting; each command must arrive
//! within [`Config::idle_timeout`] of the answer before it (or of
//! connecting, when there is no secret to present first).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use book_support::accept::AcceptPause;
use book_support::cli::printable;

use crate::article::{self, Incoming};
use crate::deadline::{self, Deadline};
use crate::exec::{Ending, Launch, Limits, Output, run_command};
use crate::frame::{Frame, Kind, read_frame, write_frame};
use crate::secret::same_secret;

/// How a server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Limits for every command.
    pub limits: Limits,
    /// How commands are started.
    pub launch: Launch,
    /// The secret a framed client must present first; with a secret, the
    /// article's protocol (which has no place for one) is refused.
    pub secret: Option<String>,
    /// With a secret: how long a client has, from connecting, to present
    /// it (its whole `A` frame), however it spreads the bytes out. A client
    /// that has not is dropped and its place freed, so connections that
    /// never log in cannot keep out a client that knows the secret.
    pub login_timeout: Duration,
    /// How long a client may take to send its next command, whole: counted
    /// from the answer to the one before, or from connecting when there is
    /// no secret to present first. Then it is dropped and its place freed.
    pub idle_timeout: Duration,
    /// How long the server waits before it answers a wrong secret and
    /// closes, holding the client's place meanwhile: a guesser has one guess
    /// a connection and at most `max_clients` connections, so at most
    /// `max_clients` guesses in this time.
    pub wrong_secret_delay: Duration,
    /// At most this many clients at once; more are turned away.
    pub max_clients: usize,
    /// How long an article client may take to acknowledge a result's size,
    /// while the result waits in memory.
    pub ack_timeout: Duration,
    /// The article protocol's cap on a command's output, which it holds in
    /// memory whole (at most `limits.max_output` too).
    pub article_max_output: u64,
    /// Print no log lines (for the benchmark).
    pub quiet: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            launch: Launch::Shell,
            secret: None,
            login_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(300),
            wrong_secret_delay: Duration::from_secs(1),
            max_clients: 64,
            ack_timeout: Duration::from_secs(10),
            article_max_output: article::MAX_RESULT_HELD,
            quiet: false,
        }
    }
}

/// Accepts connections forever, one thread each.
// ANCHOR: serve_forever
pub fn serve_forever(listener: TcpListener, config: Config) -> io::Result<()> {
    let config = Arc::new(config);
    let active = Arc::new(AtomicUsize::new(0));
    let mut pause = AcceptPause::default();
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            // A connection reset before we accepted it is the client's
            // problem, not a reason to stop serving everyone else. Out of
            // descriptors: pause, and say so once (see `accept`).
            Err(err) => {
                pause.failed(&err, |line| note(&config, None, line));
                continue;
            }
        };
        let accepted = Instant::now();
        pause.accepted(|line| note(&config, None, line));
        if active.fetch_add(1, Ordering::SeqCst) >= config.max_clients {
            active.fetch_sub(1, Ordering::SeqCst);
            note(&config, Some(peer), "turned away: too many clients at once");
            continue;
        }
        let (config, active) = (Arc::clone(&config), Arc::clone(&active));
        thread::spawn(move || {
            let result = handle(stream, peer, accepted, &config);
            // The place is free before the log says so.
            active.fetch_sub(1, Ordering::SeqCst);
            match result {
                Ok(()) => note(&config, Some(peer), "disconnected"),
                Err(err) => {
                    let why = err.to_string();
                    note(
                        &config,
                        Some(peer),
                        &format!("disconnected: {}", printable(&why)),
                    );
                }
            }
        });
    }
}
// ANCHOR_END: serve_forever

/// Serves one connection in the protocol its first byte announces.
// ANCHOR: handle
fn handle(
    stream: TcpStream,
    peer: SocketAddr,
    accepted: Instant,
    config: &Config,
) -> io::Result<()> {
    // What the client must send first, by when: with a secret, the secret,
    // within the login timeout; without, a command, within the idle timeout.
    let waiting = match config.secret {
        Some(_) => Waiting::Secret,
        None => Waiting::Command,
    };
    let first_by = accepted + waiting.timeout(config);
    let mut first = [0u8; 1];
    let seen = Deadline::new(&stream, first_by)
        .peek(&mut first)
        .map_err(|err| waiting.late(err, config))?;
    if seen == 0 {
        return Ok(());
    }
    if first[0] == 0 {
        note(config, Some(peer), "connected (framed protocol)");
        serve_framed(stream, peer, first_by, config)
    } else if config.secret.is_some() {
        note(
            config,
            Some(peer),
            "refused: the article's protocol cannot carry a secret",
        );
        // Take the command before closing: closing a socket with unread
        // data makes the kernel send a reset, and the client would see
        // "connection reset" instead of a plain close.
        article::receive_command(&mut Deadline::new(&stream, first_by))?;
        Ok(())
    } else {
        note(config, Some(peer), "connected (article protocol)");
        serve_article(stream, peer, first_by, config)
    }
}
// ANCHOR_END: handle

/// What the server waits for a client to send, each with its own time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// The secret, first thing after connecting.
    Secret,
    /// The next command.
    Command,
}

impl Waiting {
    /// How long a client has for it.
    fn timeout(self, config: &Config) -> Duration {
        match self {
            Waiting::Secret => config.login_timeout,
            Waiting::Command => config.idle_timeout,
        }
    }

    /// A read's error, reworded to say which deadline passed if one did.
    fn late(self, err: io::Error, config: &Config) -> io::Error {
        if !deadline::has_passed(&err) {
            return err;
        }
        let why = match self {
            Waiting::Secret => format!(
                "login timeout: no secret within {:?} of connecting",
                config.login_timeout
            ),
            Waiting::Command => {
                format!("idle timeout: no command within {:?}", config.idle_timeout)
            }
        };
        io::Error::new(io::ErrorKind::TimedOut, why)
    }
}

/// The article's server loop for one client.
// ANCHOR: serve_article
fn serve_article(
    mut stream: TcpStream,
    peer: SocketAddr,
    first_by: Instant,
    config: &Config,
) -> io::Result<()> {
    // The whole result waits in memory before it is sent: a lower cap.
    let limits = Limits {
        max_output: config.limits.max_output.min(config.article_max_output),
        ..config.limits
    };
    // The first command by the time `handle` set; each next one within the
    // idle timeout of the answer before it.
    let mut by = first_by;
    loop {
        let incoming = article::receive_command(&mut Deadline::new(&stream, by))
            .map_err(|err| Waiting::Command.late(err, config))?;
        let command = match incoming {
            Incoming::Command(command) => command,
            Incoming::Closed => return Ok(()),
            Incoming::TooLong => {
                note(
                    config,
                    Some(peer),
                    "command of 1024 bytes or more: refused, closing",
                );
                let refusal = article::TOO_LONG.as_bytes().to_vec();
                article::send_result(&mut stream, refusal, config.ack_timeout)?;
                return close_after_reading(stream);
            }
        };
        note(
            config,
            Some(peer),
            &format!("command: {}", printable(&command)),
        );
        let mut result = Vec::new();
        let watch = stream.try_clone()?;
        let ending = run_command(
            &command,
            config.launch,
            &limits,
            |which, bytes| {
                match which {
                    Output::Stdout => result.extend_from_slice(bytes),
                    // Like os.popen: stderr is not sent; the server's
                    // terminal shows it.
                    Output::Stderr => io::stderr().write_all(bytes)?,
                }
                Ok(())
            },
            || still_connected(&watch),
        )?;
        if ending == Ending::ClientGone {
            return Err(gone());
        }
        if let Some(notice) = ending.notice(&limits) {
            // The article's protocol has no place for a notice: append it.
            result.extend_from_slice(format!("\n[ssh-server: {notice}]\n").as_bytes());
        }
        note(
            config,
            Some(peer),
            &format!("result: {} bytes, {ending:?}", result.len()),
        );
        if let Err(e) = article::send_result(&mut stream, result, config.ack_timeout) {
            if e.kind() == io::ErrorKind::TimedOut {
                let waited = config.ack_timeout;
                note(
                    config,
                    Some(peer),
                    &format!("no acknowledgement within {waited:?}: closing"),
                );
            }
            return Err(e);
        }
        by = Instant::now() + config.idle_timeout;
    }
}
// ANCHOR_END: serve_article

/// The framed server loop for one client.
// ANCHOR: serve_framed
fn serve_framed(
    mut stream: TcpStream,
    peer: SocketAddr,
    first_by: Instant,
    config: &Config,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut authenticated = config.secret.is_none();
    // The first frame by the time `handle` set; each next one within the
    // idle timeout of the answer before it.
    let mut waiting = if authenticated {
        Waiting::Command
    } else {
        Waiting::Secret
    };
    let mut by = first_by;
    while let Some(frame) = next_frame(&mut stream, by, waiting, config)? {
        match frame.kind {
            Kind::Auth => {
                if config
                    .secret
                    .as_deref()
                    .is_none_or(|s| same_secret(s.as_bytes(), &frame.payload))
                {
                    authenticated = true;
                    write_frame(&mut stream, Kind::AuthOk, b"")?;
                } else {
                    return wrong_secret(&mut stream, peer, config);
                }
            }
            Kind::Command if !authenticated => {
                write_frame(
                    &mut stream,
                    Kind::Notice,
                    b"this server needs a secret (--secret)",
                )?;
                return Err(io::Error::other("command before the secret"));
            }
            Kind::Command => {
                let command = String::from_utf8_lossy(&frame.payload).into_owned();
                note(
                    config,
                    Some(peer),
                    &format!("command: {}", printable(&command)),
                );
                run_framed(&mut stream, peer, &command, config)?;
            }
            other => {
                let notice = format!("a client may not send a {other:?} frame");
                write_frame(&mut stream, Kind::Notice, notice.as_bytes())?;
                return Err(io::Error::other(notice));
            }
        }
        (waiting, by) = (Waiting::Command, Instant::now() + config.idle_timeout);
    }
    Ok(())
}

/// A wrong secret: wait, holding the client's place, then say so and close.
/// Guessing takes `wrong_secret_delay` a guess, and no more than
/// `max_clients` guesses can wait at once. Closing early does not help a
/// guesser: the place stays taken until the wait is over.
fn wrong_secret(stream: &mut TcpStream, peer: SocketAddr, config: &Config) -> io::Result<()> {
    let delay = config.wrong_secret_delay;
    note(
        config,
        Some(peer),
        &format!("wrong secret: answering in {delay:?}"),
    );
    thread::sleep(delay);
    write_frame(stream, Kind::Notice, b"wrong secret")?;
    Err(io::Error::other("wrong secret"))
}

/// Runs one command, streaming its output as frames, then `Exit`.
fn run_framed(
    stream: &mut TcpStream,
    peer: SocketAddr,
    command: &str,
    config: &Config,
) -> io::Result<()> {
    if command.trim().is_empty() {
        write_frame(stream, Kind::Notice, b"empty command: nothing to run")?;
        return write_frame(stream, Kind::Exit, &Frame::exit(127).payload);
    }
    let sending = stream.try_clone()?;
    let watch = stream.try_clone()?;
    // The output must reach the client within the time limit too: a client
    // that stops reading would otherwise block a write for ever, and with
    // it the loop that enforces the limit.
    let limit = config.limits.time_limit;
    let sent_by = Instant::now() + limit;
    let ending = run_command(
        command,
        config.launch,
        &config.limits,
        |which, bytes| {
            let kind = match which {
                Output::Stdout => Kind::Stdout,
                Output::Stderr => Kind::Stderr,
            };
            write_frame(&mut Deadline::new(&sending, sent_by), kind, bytes)
                .map_err(|err| not_read(err, limit))
        },
        || still_connected(&watch),
    )?;
    if ending == Ending::ClientGone {
        return Err(gone());
    }
    let mut answer = Deadline::new(stream, Instant::now() + limit);
    if let Some(notice) = ending.notice(&config.limits) {
        write_frame(&mut answer, Kind::Notice, notice.as_bytes())
            .map_err(|err| not_read(err, limit))?;
    }
    note(
        config,
        Some(peer),
        &format!("exit status {}, {ending:?}", ending.status_code()),
    );
    write_frame(
        &mut answer,
        Kind::Exit,
        &Frame::exit(ending.status_code()).payload,
    )
    .map_err(|err| not_read(err, limit))
}

/// A write's error, reworded when the client took too long to read.
fn not_read(err: io::Error, limit: Duration) -> io::Error {
    if !deadline::has_passed(&err) {
        return err;
    }
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("the client did not take its output within {limit:?}; command killed"),
    )
}
// ANCHOR_END: serve_framed

/// Reads the next frame, which must arrive whole by `by`. A bad frame (over
/// the limit, unknown kind), or one that is late, is explained to the
/// client in a notice before the connection closes.
fn next_frame(
    stream: &mut TcpStream,
    by: Instant,
    waiting: Waiting,
    config: &Config,
) -> io::Result<Option<Frame>> {
    let read = read_frame(&mut Deadline::new(stream, by)).map_err(|err| waiting.late(err, config));
    match read {
        Err(err)
            if matches!(
                err.kind(),
                io::ErrorKind::InvalidData | io::ErrorKind::TimedOut
            ) =>
        {
            let _ = write_frame(stream, Kind::Notice, err.to_string().as_bytes());
            Err(err)
        }
        other => other,
    }
}

/// Closes a connection whose client may still be sending (the rest of a
/// refused command, say): our side first (`shutdown`, a FIN after the last
/// byte we sent), then read and drop what comes until the client closes
/// too, for at most two seconds. Closing with unread bytes would make the
/// kernel send a reset, which can destroy our last answer before the
/// client has read it. Two seconds in all: a client that trickles its bytes
/// gets no longer.
fn close_after_reading(stream: TcpStream) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let rest = Deadline::new(&stream, Instant::now() + Duration::from_secs(2));
    let _ = io::copy(&mut rest.take(1 << 20), &mut io::sink());
    Ok(())
}

/// Is the client still there? Asked while its command runs, when it should
/// be sending nothing: a read of zero bytes means it has closed.
fn still_connected(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let alive = match stream.peek(&mut byte) {
        Ok(0) => false,
        Ok(_) => true,
        Err(err) => err.kind() == io::ErrorKind::WouldBlock,
    };
    let _ = stream.set_nonblocking(false);
    alive
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "the client left mid-command; command killed",
    )
}

/// A log line, unless the server is quiet.
fn note(config: &Config, peer: Option<SocketAddr>, message: &str) {
    if !config.quiet {
        log(peer, message);
    }
}

/// One line of the server's log on stdout (line-buffered, so a test sees
/// each line at once).
fn log(peer: Option<SocketAddr>, message: &str) {
    let mut out = io::stdout().lock();
    let _ = match peer {
        Some(peer) => writeln!(out, "[{peer}] {message}"),
        None => writeln!(out, "{message}"),
    };
    let _ = out.flush();
}
