//! Receiving and hashing on two threads, with the file written by the one
//! that has time to spare.
//!
//! [`crate::exact::recv_exact_hashed`] does three things one after another
//! for every chunk: receive it, hash it, write it. While the thread hashes,
//! nobody reads the socket.
//!
//! Here a receiving thread receives buffers and hands them to a worker
//! thread that hashes them and hands them back. Receiving and hashing then
//! overlap, and the download runs at the speed of the busier thread. Which
//! thread also writes each buffer into the file is chosen to keep the two
//! balanced ([`Writer`]): md5 keeps its thread busy all by itself (about
//! 580 MB/s on one core), so the receiver writes; BLAKE3 hashes several GB/s,
//! so its thread has time left and writes too, and the receiver only
//! receives. Memory stays bounded: the two threads pass a fixed set of
//! [`BUFFERS`] buffers back and forth, whatever the file's size.

use std::io::{self, ErrorKind, Read, Write};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread;

use crate::CHUNK;
use crate::digest::Feed;

/// How many buffers circulate between the two threads: enough that neither
/// waits for the other in the steady state, few enough to stay small
/// (`BUFFERS * CHUNK` bytes in all).
pub const BUFFERS: usize = 4;

/// A buffer on its way, and how many of its bytes are data.
type Filled = (Vec<u8>, usize);

// ANCHOR: recv_exact_pipelined
/// Which of the two threads writes the received bytes into the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// The receiving thread writes each buffer before handing it over:
    /// best when hashing is the slowest step (md5).
    Receiver,
    /// The hashing thread writes each buffer, then hashes it: best when
    /// hashing is fast (BLAKE3), so that the receiver only receives.
    Hasher,
}

/// Receives exactly `size` bytes from `from` and writes them to `to`, as
/// [`recv_exact_hashed`](crate::exact::recv_exact_hashed) does, but feeds
/// them to `hash` (md5, or any [`Feed`]) on a second thread while this one
/// receives the next. `writer` says which thread writes.
pub fn recv_exact_pipelined(
    from: &mut impl Read,
    to: &mut (impl Write + Send),
    size: u64,
    hash: &mut (impl Feed + Send),
    writer: Writer,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Filled>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(vec![0; CHUNK]);
    }
    // The file goes to exactly one of the two threads.
    let (receiver_writes, hasher_writes) = match writer {
        Writer::Receiver => (Some(to), None),
        Writer::Hasher => (None, Some(to)),
    };

    thread::scope(|scope| {
        let hasher = scope.spawn(move || hash_buffers(full_rx, hasher_writes, hash, empty_tx));
        let received =
            receive_into_buffers(from, receiver_writes, size, &full_tx, &empty_rx, progress);
        // Closing the channel tells the worker that no more buffers come;
        // joining it means every byte received has been hashed (and written).
        drop(full_tx);
        let hashed = hasher
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the hashing thread panicked")));
        // A failed write in the worker stops the receiver too: the worker's
        // error is the one that says why.
        hashed.and(received)
    })
}

/// The receiving half: fill empty buffers from `from`, write them to `to`
/// if it is this thread's job, send them on to be hashed.
fn receive_into_buffers(
    from: &mut impl Read,
    mut to: Option<&mut impl Write>,
    size: u64,
    full: &SyncSender<Filled>,
    empty: &Receiver<Vec<u8>>,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let stopped = || io::Error::other("the hashing thread stopped");
    let mut received = 0u64;
    while received < size {
        // No empty buffer will come back if the worker has stopped.
        let mut buf = empty.recv().map_err(|_| stopped())?;
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
        if let Some(to) = to.as_mut() {
            to.write_all(&buf[..n])?;
        }
        received += n as u64;
        full.send((buf, n)).map_err(|_| stopped())?;
        progress(received);
    }
    Ok(())
}

/// The worker: write every full buffer to `to` if it is this thread's job,
/// hash it, hand it back empty. A failed write ends the worker with its
/// error.
fn hash_buffers(
    full: Receiver<Filled>,
    mut to: Option<&mut impl Write>,
    hash: &mut impl Feed,
    empty: Sender<Vec<u8>>,
) -> io::Result<()> {
    for (buf, n) in full {
        if let Some(to) = to.as_mut() {
            to.write_all(&buf[..n])?;
        }
        hash.feed(&buf[..n]);
        // The receiver may have stopped on an error: then nobody needs the
        // buffer back.
        let _ = empty.send(buf);
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

        let simple_md5 = simple_md5.finalize();

        for writer in [Writer::Receiver, Writer::Hasher] {
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
                writer,
                &mut |_| {},
            )
            .unwrap();

            assert_eq!(piped_out, data, "{writer:?}");
            assert_eq!(piped_out, simple_out, "{writer:?}");
            assert_eq!(piped_md5.finalize(), simple_md5, "{writer:?}");
            assert_eq!(from.data, tail, "never reads past the announced size");
        }
    }

    #[test]
    fn an_early_end_is_an_unexpected_eof_that_says_how_much_came_and_keeps_it() {
        let data = sample(1000);
        for writer in [Writer::Receiver, Writer::Hasher] {
            let mut from = Trickle {
                data: &data,
                step: 300,
            };
            let mut kept = Vec::new();
            let err = recv_exact_pipelined(
                &mut from,
                &mut kept,
                5000,
                &mut Md5::new(),
                writer,
                &mut |_| {},
            )
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::UnexpectedEof, "{writer:?}");
            assert!(
                err.to_string().contains("after 1000 of 5000 bytes"),
                "{writer:?}: {err}"
            );
            assert_eq!(kept, data, "{writer:?}: every byte received is written");
        }
    }

    #[test]
    fn a_failed_write_stops_the_receiver_with_the_write_error_whichever_thread_writes() {
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
        for writer in [Writer::Receiver, Writer::Hasher] {
            let mut from = Trickle {
                data: &data,
                step: CHUNK,
            };
            let err = recv_exact_pipelined(
                &mut from,
                &mut Full,
                data.len() as u64,
                &mut Md5::new(),
                writer,
                &mut |_| {},
            )
            .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::StorageFull, "{writer:?}: {err}");
            assert!(
                from.data.len() >= data.len() - (BUFFERS + 1) * CHUNK,
                "{writer:?}: the receiver stopped soon after the failure"
            );
        }
    }
}
