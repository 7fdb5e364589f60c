//! Receiving and writing on one thread while another hashes.
//!
//! [`crate::exact::recv_exact_hashed`] does three things one after another
//! for every chunk: receive it, hash it, write it. md5 is the slowest of the
//! three (about 500 MB/s on one core, against several GB/s for loopback and
//! the page cache), and while the thread hashes, nobody reads the socket.
//!
//! Here the receiving thread receives a buffer, writes it to the file, and
//! hands it to a worker thread that only hashes it and hands it back.
//! Receiving and hashing then overlap, so on a machine with two cores the
//! download runs at close to the speed of md5 alone. (Writing stays with the
//! receiver: a write to the page cache is a copy, as fast as a receive, and
//! the hashing thread is the one to keep free.) Memory stays
//! bounded: the two threads pass a fixed set of [`BUFFERS`] buffers back and
//! forth, whatever the file's size.

use std::io::{self, ErrorKind, Read, Write};
use std::sync::mpsc;
use std::thread;

use crate::CHUNK;
use crate::digest::Feed;

/// How many buffers circulate between the two threads: enough that neither
/// waits for the other in the steady state, few enough to stay small
/// (`BUFFERS * CHUNK` bytes in all).
pub const BUFFERS: usize = 4;

// ANCHOR: recv_exact_pipelined
/// Receives exactly `size` bytes from `from` and writes them to `to`, as
/// [`recv_exact_hashed`](crate::exact::recv_exact_hashed) does, but feeds
/// them to `hash` (md5, or any [`Feed`]) on a second thread while this one
/// receives the next.
pub fn recv_exact_pipelined(
    from: &mut impl Read,
    to: &mut impl Write,
    size: u64,
    hash: &mut (impl Feed + Send),
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(vec![0; CHUNK]);
    }

    thread::scope(|scope| {
        // The worker: hash every full buffer, hand it back empty.
        let hasher = scope.spawn(move || {
            for (buf, n) in full_rx {
                hash.feed(&buf[..n]);
                // The receiver may have stopped on an error: then nobody
                // needs the buffer back.
                let _ = empty_tx.send(buf);
            }
        });

        let received = receive_into_buffers(from, to, size, &full_tx, &empty_rx, progress);
        // Closing the channel tells the worker that no more buffers come;
        // joining it means every byte received has been hashed.
        drop(full_tx);
        if hasher.join().is_err() {
            return Err(io::Error::other("the hashing thread panicked"));
        }
        received
    })
}

/// The receiving half: fill empty buffers from `from`, write them to `to`,
/// send them on to be hashed.
fn receive_into_buffers(
    from: &mut impl Read,
    to: &mut impl Write,
    size: u64,
    full: &mpsc::SyncSender<(Vec<u8>, usize)>,
    empty: &mpsc::Receiver<Vec<u8>>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let mut received = 0u64;
    while received < size {
        // No empty buffer will come back if the worker has stopped.
        let Ok(mut buf) = empty.recv() else {
            return Err(io::Error::other("the hashing thread stopped"));
        };
        let left = size - received;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = loop {
            match from.read(&mut buf[..want]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        ErrorKind::UnexpectedEof,
                        format!("connection closed after {received} of {size} bytes"),
                    ));
                }
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        to.write_all(&buf[..n])?;
        received += n as u64;
        if full.send((buf, n)).is_err() {
            return Err(io::Error::other("the hashing thread stopped"));
        }
        progress(received);
    }
    Ok(())
}
// ANCHOR_END: recv_exact_pipelined

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::recv_exact_hashed;
    use md5::{Digest, Md5};

    /// A reader that hands out at most `step` bytes per read, like a socket.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    #[test]
    fn gives_the_same_bytes_and_digest_as_the_simple_loop() {
        let data = sample(3 * CHUNK + 12_345);
        let tail = b"0123456789abcdef0123456789abcdef";
        let mut stream = data.clone();
        stream.extend_from_slice(tail);

        let (mut simple_out, mut simple_md5) = (Vec::new(), Md5::new());
        let mut from = Trickle {
            data: &stream,
            step: 70_000,
        };
        recv_exact_hashed(
            &mut from,
            &mut simple_out,
            data.len() as u64,
            &mut simple_md5,
            &mut |_| {},
        )
        .unwrap();

        let (mut piped_out, mut piped_md5) = (Vec::new(), Md5::new());
        let mut from = Trickle {
            data: &stream,
            step: 70_000,
        };
        recv_exact_pipelined(
            &mut from,
            &mut piped_out,
            data.len() as u64,
            &mut piped_md5,
            &mut |_| {},
        )
        .unwrap();

        assert_eq!(piped_out, data);
        assert_eq!(piped_out, simple_out);
        assert_eq!(piped_md5.finalize(), simple_md5.finalize());
        assert_eq!(from.data, tail, "never reads past the announced size");
    }

    #[test]
    fn an_early_end_is_an_unexpected_eof_that_says_how_much_came() {
        let data = sample(1000);
        let mut from = Trickle {
            data: &data,
            step: 300,
        };
        let err = recv_exact_pipelined(
            &mut from,
            &mut Vec::new(),
            5000,
            &mut Md5::new(),
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
        assert!(
            err.to_string().contains("after 1000 of 5000 bytes"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_write_stops_the_receiver_with_the_write_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let data = sample(10 * CHUNK);
        let mut from = Trickle {
            data: &data,
            step: CHUNK,
        };
        let err = recv_exact_pipelined(
            &mut from,
            &mut Full,
            data.len() as u64,
            &mut Md5::new(),
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    }
}
