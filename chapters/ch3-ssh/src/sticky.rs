//! The sticky-packet problem (粘包), shown on a real connection.
//!
//! TCP carries a stream of bytes. It keeps their order and loses none, but
//! it does not keep the edges between sends: the receiving kernel appends
//! whatever arrives to one buffer, and a `recv` takes what is in that buffer,
//! up to the size asked for. Two sends that are both in the buffer when the
//! receiver reads come out of one `recv`, glued together.
//!
//! Whether they are both there depends on timing, so a demonstration that
//! just sends twice shows the glue on some runs and not on others. These
//! demonstrations take the timing out:
//!
//! - [`without_ack`]: the sender makes both sends, *then* tells the reader
//!   (over a channel, not the socket) that it has finished; the reader waits
//!   until the kernel holds all the bytes (a peek, which reads without
//!   taking) and only then makes one ordinary `recv(1024)`. It always gets
//!   both messages in one piece.
//! - [`with_ack`]: the article's cure. The sender sends the size and then
//!   waits for the reader's `OK` before sending the result; while it waits,
//!   only the size can be in the buffer, so the first `recv` always returns
//!   the size alone.

use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use socket2::SockRef;

use crate::article::ACK;

/// How long any step of a demonstration may take before it gives up.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `size` and then `result` with nothing in between, and returns what
/// one `recv(1024)` on the other end gives, once both sends are done.
// ANCHOR: without_ack
pub fn without_ack(size: &[u8], result: &[u8]) -> io::Result<Vec<u8>> {
    let (listener, mut reader) = connected_pair()?;
    let (done, finished) = mpsc::channel();
    let (size, result) = (size.to_vec(), result.to_vec());
    let sender = thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?; // each send leaves at once, as its own segment
        stream.write_all(&size)?; // send 1: the size
        stream.write_all(&result)?; // send 2: the result, no acknowledgement
        let _ = done.send(size.len() + result.len());
        Ok(())
    });
    let total = finished
        .recv_timeout(STEP_TIMEOUT)
        .map_err(|_| timed_out("the sender"))?;
    wait_until_buffered(&reader, total)?;
    let mut buf = [0u8; 1024];
    let n = reader.read(&mut buf)?; // ONE recv(1024)
    sender
        .join()
        .map_err(|_| io::Error::other("the sender panicked"))??;
    Ok(buf[..n].to_vec())
}
// ANCHOR_END: without_ack

/// The article's exchange: size, acknowledgement, result. Returns what the
/// first `recv(1024)` gave and what the reads after the `OK` gave.
// ANCHOR: with_ack
pub fn with_ack(size: &[u8], result: &[u8]) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let (listener, mut reader) = connected_pair()?;
    let (size, result) = (size.to_vec(), result.to_vec());
    let expected = result.len();
    let sender = thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(STEP_TIMEOUT))?;
        stream.write_all(&size)?; // send 1: the size
        let mut ack = [0u8; 1024];
        // Wait for "OK": nothing else is sent until then.
        if stream.read(&mut ack)? == 0 {
            return Err(io::Error::other("the reader left before acknowledging"));
        }
        stream.write_all(&result) // send 2: the result
    });
    let mut buf = [0u8; 1024];
    let n = reader.read(&mut buf)?; // the size, alone
    let first = buf[..n].to_vec();
    reader.write_all(ACK)?;
    let rest = crate::article::recv_exact(&mut reader, expected as u64)
        .map_err(|e| io::Error::other(format!("{e:#}")))?;
    sender
        .join()
        .map_err(|_| io::Error::other("the sender panicked"))??;
    Ok((first, rest))
}
// ANCHOR_END: with_ack

/// A listener on loopback and a client connected to it.
fn connected_pair() -> io::Result<(TcpListener, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let reader = TcpStream::connect(listener.local_addr()?)?;
    reader.set_read_timeout(Some(STEP_TIMEOUT))?;
    Ok((listener, reader))
}

/// Blocks until at least `total` bytes wait in the socket's receive buffer,
/// without taking any: `recv` with `MSG_PEEK | MSG_WAITALL`.
fn wait_until_buffered(stream: &TcpStream, total: usize) -> io::Result<()> {
    let mut peeked = vec![MaybeUninit::<u8>::uninit(); total];
    let n =
        SockRef::from(stream).recv_with_flags(&mut peeked, libc::MSG_PEEK | libc::MSG_WAITALL)?;
    if n < total {
        return Err(io::Error::other(format!(
            "only {n} of {total} bytes arrived"
        )));
    }
    Ok(())
}

fn timed_out(who: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("{who} did not finish within {STEP_TIMEOUT:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_the_ack_one_recv_returns_both_sends() {
        for _ in 0..20 {
            assert_eq!(without_ack(b"4", b"123\n").unwrap(), b"4123\n");
        }
    }

    #[test]
    fn with_the_ack_the_size_arrives_alone() {
        for _ in 0..20 {
            let (first, rest) = with_ack(b"4", b"123\n").unwrap();
            assert_eq!(first, b"4");
            assert_eq!(rest, b"123\n");
        }
    }
}
