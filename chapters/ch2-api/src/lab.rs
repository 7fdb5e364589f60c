//! The socket lab: a server that reports every call it makes, and a client
//! that makes one call per line of input.
//!
//! Start `lab-server --port 0` in one terminal and `lab-client --port PORT`
//! in another, then type calls: `send hello`, `recv 3`, `shutdown`,
//! `recv 100`... Each side prints what each call returned, so the
//! behaviours of this chapter (short reads, end of stream, half-close,
//! timeouts, non-blocking errors) can be tried by hand.

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use book_support::cli::announce;
use socket2::{Domain, SockAddr, Socket, Type};

use crate::{describe_error, preview, resolve, say};

/// How the lab server listens.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The `listen` backlog.
    pub backlog: i32,
    /// If false, never call `accept`: connections pile up in the queue.
    pub accept: bool,
}

// ANCHOR: lab_server
/// Listens with the given backlog, announces the address, and serves each
/// connection on a thread of its own (or never accepts, if told so).
pub fn serve(options: &ServerOptions) -> Result<()> {
    let socket = Socket::new(Domain::for_address(options.addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket
        .bind(&SockAddr::from(options.addr))
        .with_context(|| format!("cannot bind {}", options.addr))?;
    socket.listen(options.backlog)?;
    let listener: TcpListener = socket.into();
    announce(listener.local_addr()?);
    say(format!("listen({}): done", options.backlog));
    if !options.accept {
        say("not calling accept: finished handshakes wait in the queue");
        loop {
            thread::park(); // until killed
        }
    }
    loop {
        let (conn, peer) = listener.accept()?;
        say(format!("accept(): {peer} (fd {})", conn.as_raw_fd()));
        thread::spawn(move || {
            if let Err(err) = echo(conn, peer) {
                eprintln!("error: connection from {peer}: {err:#}");
            }
        });
    }
}

/// Echoes what arrives; at end of stream, sends a summary (which a peer
/// that only half-closed still receives) and closes.
fn echo(mut conn: TcpStream, peer: SocketAddr) -> Result<()> {
    let mut buf = [0; 1024];
    let (mut total, mut calls) = (0, 0);
    loop {
        let n = conn.read(&mut buf)?;
        calls += 1;
        if n == 0 {
            say(format!("recv(1024) from {peer}: 0 bytes, end of stream"));
            break;
        }
        total += n;
        say(format!(
            "recv(1024) from {peer}: {n} bytes {}",
            preview(&buf[..n])
        ));
        conn.write_all(&buf[..n])?;
    }
    let summary = format!("you sent {total} bytes; I needed {calls} recv calls\n");
    conn.write_all(summary.as_bytes())?;
    say(format!("sendall to {peer}: {summary:?}, then close()"));
    Ok(())
}
// ANCHOR_END: lab_server

/// The lab client's socket, or nothing once closed.
#[derive(Debug)]
pub struct Client {
    stream: Option<TcpStream>,
}

impl Client {
    /// Connects with [`resolve::create_connection`] and reports where.
    pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<Client> {
        let stream = resolve::create_connection((host, port), timeout, None)
            .with_context(|| format!("cannot connect to {host} port {port}"))?;
        say(format!(
            "create_connection(({host:?}, {port})): connected to {} from {}",
            stream.peer_addr()?,
            stream.local_addr()?
        ));
        Ok(Client {
            stream: Some(stream),
        })
    }

    // ANCHOR: lab_command
    /// Runs one command line and returns the line to print.
    pub fn command(&mut self, line: &str) -> Result<String> {
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        if word == "close" {
            self.stream = None; // drop: close(2)
            return Ok("close(): done".into());
        }
        let Some(stream) = self.stream.as_mut() else {
            bail!("the socket is closed");
        };
        let said = match word {
            "send" => match stream.write(rest.as_bytes()) {
                Ok(n) => format!("send({} bytes): {n}", rest.len()),
                Err(e) => format!("send: {}", describe_error(&e)),
            },
            "sendall" => match stream.write_all(rest.as_bytes()) {
                Ok(()) => format!("sendall({} bytes): done", rest.len()),
                Err(e) => format!("sendall: {}", describe_error(&e)),
            },
            "recv" => {
                let size: usize = rest.trim().parse().context("recv takes a size")?;
                let mut buf = vec![0; size];
                match stream.read(&mut buf) {
                    Ok(0) => format!("recv({size}): 0 bytes, end of stream"),
                    Ok(n) => format!("recv({size}): {n} bytes {}", preview(&buf[..n])),
                    Err(e) => format!("recv({size}): {}", describe_error(&e)),
                }
            }
            "shutdown" => {
                stream.shutdown(Shutdown::Write)?;
                "shutdown(SHUT_WR): done; reading still works".into()
            }
            "timeout" => {
                let limit = match rest.trim() {
                    "none" => None,
                    secs => Some(Duration::from_secs_f64(
                        secs.parse().context("timeout takes seconds or `none`")?,
                    )),
                };
                stream.set_read_timeout(limit)?;
                format!("settimeout({limit:?}): done")
            }
            "blocking" => {
                let on = rest.trim() == "on";
                stream.set_nonblocking(!on)?;
                format!("setblocking({}): done", if on { "True" } else { "False" })
            }
            "peer" => format!("getpeername(): {}", stream.peer_addr()?),
            "local" => format!("getsockname(): {}", stream.local_addr()?),
            "fileno" => format!("fileno(): {}", stream.as_raw_fd()),
            _ => bail!(
                "unknown command {word:?}; try send TEXT, sendall TEXT, recv N, shutdown, \
                 close, timeout SECS|none, blocking on|off, peer, local, fileno"
            ),
        };
        Ok(said)
    }
    // ANCHOR_END: lab_command
}

/// Reads commands from `input` until its end, printing each answer. A bad
/// command prints `error: ...` and the client goes on.
pub fn run_client(client: &mut Client, input: impl BufRead) -> io::Result<()> {
    for line in input.lines() {
        let line = line?;
        let line = line.trim_end();
        if line.is_empty() {
            continue;
        }
        match client.command(line) {
            Ok(said) => say(said),
            Err(err) => say(format!("error: {err:#}")),
        }
    }
    Ok(())
}
