//! `sendto()` and `recvfrom()`: datagrams with addresses.
//!
//! A UDP socket has no connection, so each `sendto` names where the datagram
//! goes, and each `recvfrom` says where one came from. A datagram is read
//! whole or not at all: a buffer that is too small gets the beginning, and
//! the rest is thrown away (ch1 shows how to learn a datagram's size first).

use std::io;
use std::mem::MaybeUninit;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use socket2::{MaybeUninitSlice, SockRef};

/// What one exchange of datagrams showed.
#[derive(Debug)]
pub struct Exchange {
    /// `sendto`'s answer: bytes sent.
    pub sent: usize,
    /// `recvfrom`'s bytes and address.
    pub received: Vec<u8>,
    /// Where `recvfrom` said the datagram came from.
    pub from: SocketAddr,
    /// The sender's own address (`getsockname`): the same.
    pub sender: SocketAddr,
    /// A 100-byte datagram read into 10 bytes: what was read.
    pub truncated_read: usize,
    /// ... and whether the kernel flagged it as cut (`MSG_TRUNC`).
    pub flagged_truncated: bool,
    /// The datagram after it arrived whole: the cut-off 90 bytes are gone.
    pub next: Vec<u8>,
}

// ANCHOR: exchange
/// Two UDP sockets on loopback talk with `send_to` and `recv_from`.
pub fn exchange() -> io::Result<Exchange> {
    let a = UdpSocket::bind("127.0.0.1:0")?;
    let b = UdpSocket::bind("127.0.0.1:0")?;
    b.set_read_timeout(Some(Duration::from_secs(5)))?;

    let sent = a.send_to(b"hello", b.local_addr()?)?; // sendto(2)
    let mut buf = [0; 1024];
    let (n, from) = b.recv_from(&mut buf)?; // recvfrom(2)
    let received = buf[..n].to_vec();

    // A datagram bigger than the buffer.
    a.send_to(&[b'z'; 100], b.local_addr()?)?;
    a.send_to(b"next", b.local_addr()?)?;
    let mut small = [MaybeUninit::<u8>::uninit(); 10];
    let mut bufs = [MaybeUninitSlice::new(&mut small)];
    // recvmsg(2), which reports the flags (std's recv_from does not)
    let (truncated_read, flags, _) = SockRef::from(&b).recv_from_vectored(&mut bufs)?;
    let (n, _) = b.recv_from(&mut buf)?;
    Ok(Exchange {
        sent,
        received,
        from,
        sender: a.local_addr()?,
        truncated_read,
        flagged_truncated: flags.is_truncated(),
        next: buf[..n].to_vec(),
    })
}
// ANCHOR_END: exchange
