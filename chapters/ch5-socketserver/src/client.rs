//! The `upper-client` program's body: one message a line from stdin.
//!
//! On a stream it speaks either protocol of [`crate::upper::Protocol`]: the
//! lines protocol, or the article's (for the article's Python server). A
//! datagram is one message in both, so the datagram sessions have no choice
//! to make.

use std::io::{self, BufRead, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{self, UnixDatagram, UnixStream};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::transport::MAX_PACKET_SIZE;
use crate::upper::{Protocol, article, round_trip};

/// How long the client waits for an answer before it gives up.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends each line of `input` over a stream and prints each answer.
pub fn stream_session(
    stream: &mut (impl io::Read + Write),
    protocol: Protocol,
    input: impl BufRead,
    output: &mut impl Write,
) -> Result<()> {
    for line in input.lines() {
        let line = line.context("cannot read stdin")?;
        let answer = match protocol {
            Protocol::Lines => round_trip(stream, &line),
            Protocol::Article => article::round_trip(stream, &line)
                .map(|answer| answer.map(|a| String::from_utf8_lossy(&a).into_owned())),
        };
        match answer {
            Ok(Some(answer)) => writeln!(output, "{answer}")?,
            Ok(None) => {} // a blank line is not sent
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                bail!("the server closed the connection without answering {line:?}")
            }
            Err(e) => return Err(e).context("no answer"),
        }
    }
    Ok(())
}

/// Connects over TCP and runs a session.
pub fn tcp(
    host: &str,
    port: u16,
    protocol: Protocol,
    input: impl BufRead,
    output: &mut impl Write,
) -> Result<()> {
    let mut stream = TcpStream::connect((host, port))
        .with_context(|| format!("cannot connect to {host}:{port}"))?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream_session(&mut stream, protocol, input, output)
}

/// Connects to a Unix stream socket and runs a session.
pub fn unix(
    path: &Path,
    protocol: Protocol,
    input: impl BufRead,
    output: &mut impl Write,
) -> Result<()> {
    let mut stream = UnixStream::connect(path)
        .with_context(|| format!("cannot connect to {}", path.display()))?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream_session(&mut stream, protocol, input, output)
}

/// Sends each line as one datagram and prints each answering datagram.
fn datagram_session(
    mut exchange: impl FnMut(&[u8], &mut [u8]) -> io::Result<usize>,
    input: impl BufRead,
    output: &mut impl Write,
) -> Result<()> {
    let mut buf = vec![0; MAX_PACKET_SIZE];
    for line in input.lines() {
        let line = line.context("cannot read stdin")?;
        let message = line.trim();
        if message.is_empty() {
            continue;
        }
        let n = exchange(message.as_bytes(), &mut buf)
            .with_context(|| format!("no answer to {message:?}"))?;
        writeln!(output, "{}", String::from_utf8_lossy(&buf[..n]))?;
    }
    Ok(())
}

/// A UDP session with `host:port`.
pub fn udp(host: &str, port: u16, input: impl BufRead, output: &mut impl Write) -> Result<()> {
    let socket = UdpSocket::bind((host, 0)).context("cannot bind a UDP socket")?;
    socket
        .connect((host, port))
        .with_context(|| format!("cannot reach {host}:{port}"))?;
    socket.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    datagram_session(
        |msg, buf| {
            socket.send(msg)?;
            socket.recv(buf)
        },
        input,
        output,
    )
}

/// A Unix datagram session with the socket at `path`. The client binds an
/// abstract address (Linux: no file to clean up), or the server would have
/// nowhere to send its answer.
pub fn unix_datagram(path: &Path, input: impl BufRead, output: &mut impl Write) -> Result<()> {
    let name = format!("upper-client-{}", std::process::id());
    let me = net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let socket = UnixDatagram::bind_addr(&me).context("cannot bind a Unix datagram socket")?;
    socket
        .connect(path)
        .with_context(|| format!("cannot reach {}", path.display()))?;
    socket.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    datagram_session(
        |msg, buf| {
            socket.send(msg)?;
            socket.recv(buf)
        },
        input,
        output,
    )
}
