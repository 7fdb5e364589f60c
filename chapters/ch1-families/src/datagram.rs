//! How big is the next datagram, and what does a small buffer do to it?
//!
//! A datagram socket hands over one whole message per `recv`. When the
//! buffer is smaller than the message, the rest of the message is *thrown
//! away*: the next `recv` returns the next message, not the rest of this
//! one. (A stream socket keeps the rest for the next read.) Python's
//! `recv(1024)`, in the article and in countless programs, cuts every
//! bigger datagram to 1024 bytes without a word.
//!
//! `recv` does not tell you it happened. `recvmsg` sets the flag `MSG_TRUNC`
//! in its result; and Linux answers a `recv` with the flags
//! `MSG_PEEK | MSG_TRUNC` with the real size of the next datagram, without
//! taking it from the queue. We use the second: it needs no buffer at all.

use std::io;
use std::os::fd::AsFd;

use socket2::SockRef;

// ANCHOR: next_size
/// The size of the datagram (or seqpacket message) waiting at the head of
/// the queue, waiting for one to arrive if there is none. `None` where the
/// system cannot tell (every system but Linux).
pub fn next_message_size(socket: impl AsFd) -> io::Result<Option<usize>> {
    if !cfg!(any(target_os = "linux", target_os = "android")) {
        return Ok(None);
    }
    let socket = SockRef::from(&socket);
    // Peek with an empty buffer: nothing is copied, nothing is taken, and
    // MSG_TRUNC makes Linux return the datagram's real length.
    let size = socket.recv_with_flags(&mut [], libc::MSG_PEEK | libc::MSG_TRUNC)?;
    Ok(Some(size))
}
// ANCHOR_END: next_size

/// A message taken from a socket, and how big it really was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The bytes that fit in the buffer.
    pub bytes: Vec<u8>,
    /// The size the message had, when it was bigger than the buffer.
    pub truncated_from: Option<usize>,
}

impl Received {
    /// A message and its size as [`next_message_size`] told it.
    pub fn new(bytes: &[u8], size: Option<usize>) -> Received {
        Received {
            bytes: bytes.to_vec(),
            truncated_from: size.filter(|&s| s > bytes.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    #[test]
    fn a_small_buffer_cuts_a_datagram_and_the_rest_is_gone() {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(&[7; 100]).unwrap();
        a.send(b"next").unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(next_message_size(&b).unwrap(), Some(100));
        }
        let mut buf = [0; 16];
        assert_eq!(b.recv(&mut buf).unwrap(), 16);
        // Not the other 84 bytes: the next message.
        assert_eq!(b.recv(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"next");
    }

    #[test]
    fn truncation_is_recorded_only_when_it_happened() {
        assert_eq!(Received::new(b"abc", Some(3)).truncated_from, None);
        assert_eq!(Received::new(b"abc", Some(10)).truncated_from, Some(10));
        assert_eq!(Received::new(b"abc", None).truncated_from, None);
    }
}
