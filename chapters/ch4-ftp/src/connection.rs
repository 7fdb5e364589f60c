//! The client's connection: replies and file bytes are read through a
//! buffer, requests written straight to the socket.

use std::io::{self, BufReader};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::framed::{MAX_REPLY, Reply, Request, read_frame, send_request};

/// A connection to a server, with every wait on it bounded.
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

    /// The socket itself, unbuffered: for the bytes of an upload, and for
    /// the article's protocol, which reads nothing through the buffer (so
    /// nothing is left waiting in it).
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.writer
    }

    /// The buffered reading side: for the file bytes that follow a reply.
    pub fn reader(&mut self) -> &mut BufReader<TcpStream> {
        &mut self.reader
    }

    /// Sends a request frame of the framed protocol.
    pub fn send(&mut self, request: &Request) -> io::Result<()> {
        send_request(&mut self.writer, request)
    }

    /// Reads a reply frame of the framed protocol.
    pub fn reply(&mut self) -> Result<Reply> {
        let payload =
            read_frame(&mut self.reader, MAX_REPLY)?.context("the server closed the connection")?;
        Reply::parse(&payload).map_err(|e| anyhow!("broken reply: {e}"))
    }
}
