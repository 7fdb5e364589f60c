//! The echo client's side of the conversation: lines in, echoes out.
//!
//! [`crate::client`] does the socket work; this module reads the lines to
//! send and writes what came back, in the client's two ways of talking. It
//! is handed its input and its output: the `echo-client` program gives it
//! stdin, stdout and stderr; a test gives it bytes and a `Vec<u8>`.
//!
//! Like [`say`](crate::report::say), it ignores an output that has gone away
//! (the reader of a pipe quit): the echoes still go back and forth until the
//! input ends.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};

use crate::client::Client;
use crate::report::{count, preview, say_to};

// ANCHOR: one_line_at_a_time
/// Sends each line as it is typed (or piped), and prints its echo on `out`.
/// With `prompt`, asks for each line with `> ` on `err`; a note about a cut
/// reply goes to `err` too.
pub fn one_line_at_a_time(
    client: &Client,
    input: &mut impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
    prompt: bool,
) -> Result<()> {
    loop {
        if prompt {
            let _ = write!(err, "> ");
            let _ = err.flush();
        }
        let Some(line) = next_line(input)? else {
            return Ok(());
        };
        if line.is_empty() {
            continue;
        }
        let reply = client.echo(&line)?;
        say_to(out, String::from_utf8_lossy(&reply.bytes));
        if let Some(size) = reply.truncated_from {
            say_to(
                err,
                format_args!(
                    "note: the reply was a message of {size} bytes; only the first {} fit in the \
                     buffer (--buffer), the rest was thrown away",
                    reply.bytes.len()
                ),
            );
        }
    }
}
// ANCHOR_END: one_line_at_a_time

/// Sends every line of `input`, then reads, and says on `out` what each
/// read returned.
pub fn send_all_first(
    client: &Client,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<()> {
    let mut lines = Vec::new();
    while let Some(line) = next_line(input)? {
        if !line.is_empty() {
            lines.push(line);
        }
    }
    let reads = client.send_all_then_read(&lines)?;
    say_to(
        out,
        format_args!(
            "sent {} in {}",
            count(lines.len(), "message"),
            count(lines.len(), "send")
        ),
    );
    for (i, read) in reads.iter().enumerate() {
        let cut = match read.truncated_from {
            Some(size) => format!(" (cut from {size})"),
            None => String::new(),
        };
        say_to(
            out,
            format_args!(
                "read {}: {}{cut} {}",
                i + 1,
                count(read.bytes.len(), "byte"),
                preview(&read.bytes)
            ),
        );
    }
    say_to(
        out,
        format_args!(
            "{} came back in {}",
            count(lines.len(), "message"),
            count(reads.len(), "read")
        ),
    );
    Ok(())
}

/// The next line of input without its line ending; `None` at the end.
/// Bytes, not text: a line need not be valid UTF-8 to be echoed.
pub fn next_line(input: &mut impl BufRead) -> Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    if input
        .read_until(b'\n', &mut line)
        .context("cannot read stdin")?
        == 0
    {
        return Ok(None);
    }
    if line.ends_with(b"\n") {
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::UdpSocket;
    use std::thread;
    use std::time::Duration;

    use crate::address::Endpoint;
    use crate::client::{self, ClientOptions, OwnAddress};
    use crate::transport::Transport;

    /// A client of a UDP echo server that answers `datagrams` datagrams.
    fn udp_client(datagrams: usize, buffer: usize) -> Client {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let address = server.local_addr().unwrap();
        thread::spawn(move || {
            let mut buf = [0; 1024];
            for _ in 0..datagrams {
                let Ok((n, from)) = server.recv_from(&mut buf) else {
                    return;
                };
                let _ = server.send_to(&buf[..n], from);
            }
        });
        client::connect(&ClientOptions {
            transport: Transport::Udp,
            endpoint: Endpoint::Ip(address),
            own_address: OwnAddress::Automatic,
            buffer,
            timeout: Duration::from_secs(5),
        })
        .unwrap()
    }

    #[test]
    fn lines_lose_their_endings_and_need_not_be_text() {
        let mut input = &b"one\r\ntwo\n\n\xff"[..];
        let mut lines = Vec::new();
        while let Some(line) = next_line(&mut input).unwrap() {
            lines.push(line);
        }
        assert_eq!(lines, [&b"one"[..], b"two", b"", b"\xff"]);
    }

    #[test]
    fn each_line_is_echoed_and_empty_ones_are_skipped() {
        let client = udp_client(2, 1024);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        one_line_at_a_time(
            &client,
            &mut &b"hello\n\nworld\n"[..],
            &mut out,
            &mut err,
            true,
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "hello\nworld\n");
        assert_eq!(String::from_utf8(err).unwrap(), "> > > > ");
    }

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))] // the size of a cut datagram
    fn a_cut_reply_gets_a_note() {
        let client = udp_client(1, 4);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        one_line_at_a_time(&client, &mut &b"hello\n"[..], &mut out, &mut err, false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "hell\n");
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.starts_with("note: the reply was a message of 5 bytes"),
            "{err}"
        );
    }

    #[test]
    fn sending_everything_first_reports_each_read() {
        let client = udp_client(2, 1024);
        let mut out = Vec::new();
        send_all_first(&client, &mut &b"one\ntwo\n"[..], &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "sent 2 messages in 2 sends\n\
             read 1: 3 bytes \"one\"\n\
             read 2: 3 bytes \"two\"\n\
             2 messages came back in 2 reads\n"
        );
    }
}
