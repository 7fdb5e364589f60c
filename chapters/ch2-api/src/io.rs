//! `recv()`, `send()`, `sendall()`, `close()` and half-close.
//!
//! A TCP socket is a byte stream. `recv(n)` returns what has arrived, at
//! most `n` bytes and often fewer, and an empty result (0 bytes) only at the
//! end of the stream. `send` copies into the kernel's send buffer what fits
//! and says how much that was: on a non-blocking socket with full buffers,
//! fewer bytes than asked. `sendall` is a loop around `send`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

use crate::loopback::tcp_pair;

/// What `recv` returned in one conversation.
#[derive(Debug)]
pub struct Receives {
    /// `recv(1024)` while the peer had sent 5 bytes: 5.
    pub fewer: usize,
    /// `recv(4)` while 11 bytes waited: 4.
    pub at_most: usize,
    /// The bytes that were left, read next.
    pub rest: Vec<u8>,
    /// `recv(1024)` after the peer closed: 0.
    pub at_end: usize,
}

// ANCHOR: recv
/// `recv(n)` returns at most `n` bytes, whatever has arrived, and 0 at end
/// of stream. Each step waits for the previous answer, so the counts are
/// the same on every run.
pub fn receive_sizes() -> io::Result<Receives> {
    let (mut client, mut server) = tcp_pair()?;
    server.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = [0; 1024];

    client.write_all(b"hello")?;
    let fewer = server.read(&mut buf)?; // asked 1024, 5 had arrived

    client.write_all(b"hello world")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.peek(&mut buf)? < 11 && Instant::now() < deadline {
        // wait until all 11 bytes are there, taking none of them
        thread::yield_now();
    }
    let at_most = server.read(&mut buf[..4])?; // asked 4 of the 11
    let n = server.read(&mut buf)?;
    let rest = buf[..n].to_vec();

    drop(client); // close(): the peer's next recv returns 0
    let at_end = server.read(&mut buf)?;
    Ok(Receives {
        fewer,
        at_most,
        rest,
        at_end,
    })
}
// ANCHOR_END: recv

/// What the peer saw after `shutdown(Write)` and after `close()`.
#[derive(Debug)]
pub struct Endings {
    /// After `shutdown(Write)`: the peer read the data, then 0 bytes...
    pub half_close_read: Vec<u8>,
    /// ...and could still send an answer, which arrived.
    pub answer_after_half_close: Vec<u8>,
    /// After `close()`: the peer read the data, then 0 bytes...
    pub close_read: Vec<u8>,
    /// ...and its writes then failed with this error (BrokenPipe or
    /// ConnectionReset), without killing the process: Rust ignores SIGPIPE.
    pub write_after_close: io::Error,
    /// How many writes succeeded before that error.
    pub writes_before_error: usize,
}

// ANCHOR: endings
/// `shutdown(SHUT_WR)` against `close()`, as the other end sees them.
pub fn half_close_and_close() -> io::Result<Endings> {
    // Half-close: "I have nothing more to say, but I am still listening."
    let (mut client, mut server) = tcp_pair()?;
    server.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.write_all(b"question")?;
    client.shutdown(Shutdown::Write)?; // sends FIN; reading still works
    let mut half_close_read = Vec::new();
    server.read_to_end(&mut half_close_read)?; // ends at the FIN: 0 bytes
    server.write_all(b"answer")?;
    drop(server);
    let mut answer_after_half_close = Vec::new();
    client.read_to_end(&mut answer_after_half_close)?;

    // Close: "I am gone." The peer reads the same end of stream, but what it
    // sends now has nobody to go to.
    let (mut client, mut server) = tcp_pair()?;
    server.set_read_timeout(Some(Duration::from_secs(5)))?;
    client.write_all(b"goodbye")?;
    drop(client); // close(2)
    let mut close_read = Vec::new();
    server.read_to_end(&mut close_read)?;
    let (writes_before_error, write_after_close) = write_until_error(&mut server)?;
    Ok(Endings {
        half_close_read,
        answer_after_half_close,
        close_read,
        write_after_close,
        writes_before_error,
    })
}
// ANCHOR_END: endings

// ANCHOR: write_until_error
/// Writes to a socket whose peer has closed. The first write usually
/// succeeds (the kernel takes the bytes; the peer's kernel answers them with
/// a reset), a later one fails. Bounded: at most 5 seconds.
pub fn write_until_error(stream: &mut TcpStream) -> io::Result<(usize, io::Error)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut ok = 0;
    while Instant::now() < deadline {
        match stream.write(b"anyone there?") {
            Ok(_) => ok += 1,
            Err(err) => return Ok((ok, err)),
        }
        thread::yield_now();
    }
    Err(io::Error::other("writes to a closed peer kept succeeding"))
}
// ANCHOR_END: write_until_error

/// What one `send` did on a non-blocking socket whose buffers fill.
#[derive(Debug)]
pub struct PartialSend {
    /// Bytes asked to send in one call.
    pub asked: usize,
    /// Bytes the first call took.
    pub first: usize,
    /// Bytes taken by all calls until the buffers were full.
    pub buffered: usize,
    /// The error of the call that found them full.
    pub full: io::Error,
    /// Bytes the peer received when [`send_all`] sent the same data again.
    pub sendall_delivered: usize,
}

// ANCHOR: partial_send
/// One `send` of 16 MiB on a non-blocking socket whose peer is not reading:
/// the kernel takes what fits in the send buffer and the peer's receive
/// buffer, a few MiB, and says so. Then the buffers are full and `send`
/// fails with WouldBlock. A loop that keeps sending, waiting until the
/// socket is writable, delivers everything once the peer reads.
pub fn partial_send() -> io::Result<PartialSend> {
    const SIZE: usize = 16 << 20;
    let data = vec![b'x'; SIZE];
    let (mut sender, mut receiver) = tcp_pair()?;
    sender.set_nonblocking(true)?;

    let first = sender.write(&data)?; // one send(2)
    let mut buffered = first;
    let full = loop {
        if buffered == SIZE {
            return Err(io::Error::other("all 16 MiB fitted into the buffers"));
        }
        match sender.write(&data[buffered..]) {
            Ok(n) => buffered += n,
            Err(err) => break err, // WouldBlock: nothing more fits
        }
    };

    // Now the peer reads everything, and send_all sends it all again.
    receiver.set_read_timeout(Some(Duration::from_secs(10)))?;
    let reader = thread::spawn(move || {
        let mut total = 0;
        let mut buf = vec![0; 64 * 1024];
        loop {
            match receiver.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    });
    send_all(&mut sender, &data)?;
    drop(sender);
    let received = reader
        .join()
        .map_err(|_| io::Error::other("reader panicked"))?;
    Ok(PartialSend {
        asked: SIZE,
        first,
        buffered,
        full,
        sendall_delivered: received - buffered,
    })
}
// ANCHOR_END: partial_send

// ANCHOR: send_all
/// `sk.sendall(data)`: `send` in a loop until every byte is taken. On a
/// non-blocking socket, a full buffer (WouldBlock) means: wait until the
/// socket is writable, then go on. This is what CPython's `sendall` does
/// (a loop, not a recursion), and what `write_all` does for a blocking
/// socket.
pub fn send_all(stream: &mut TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                wait_writable(stream, Duration::from_secs(10))?;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Waits until `stream` can take more bytes, at most `limit` (poll(2)).
pub fn wait_writable(stream: &TcpStream, limit: Duration) -> io::Result<()> {
    let mut pfd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    let ms = libc::c_int::try_from(limit.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `pfd` is one valid pollfd that lives across the call, and the
    // count passed is 1.
    match unsafe { libc::poll(&mut pfd, 1, ms) } {
        -1 => Err(io::Error::last_os_error()),
        0 => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "not writable in time",
        )),
        _ => Ok(()),
    }
}
// ANCHOR_END: send_all
