//! `fileno()`: the number under the socket, and who owns it.
//!
//! To the kernel a socket is a file descriptor, a small integer indexing the
//! process's table of open files. Python hands the number out freely:
//! `sk.fileno()`, and `socket.socket(fileno=n)` wraps any number in a new
//! socket object, which will close it when collected. Two objects owning one
//! number is a bug waiting: when one closes it, the kernel reuses the number
//! for the next file opened, and the other object now talks to that file.
//!
//! Rust makes the owner explicit. `AsRawFd::as_raw_fd` lends the number;
//! `OwnedFd` owns one and closes it once, when dropped; `into_raw_fd` gives
//! ownership up (closing becomes your job) and `from_raw_fd` takes it, which
//! is `unsafe` because the compiler cannot know that nobody else owns it.

use std::fs;
use std::io;
use std::mem::ManuallyDrop;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::loopback::tcp_pair;

/// What the descriptor demonstrations found.
#[derive(Debug)]
pub struct Descriptors {
    /// `sk.fileno()`.
    pub fileno: RawFd,
    /// What `/proc/self/fd/N` says it is: `socket:[inode]`.
    pub proc_link: String,
    /// The number after a round trip through `OwnedFd`: the same.
    pub after_owned_fd: RawFd,
    /// The number after `into_raw_fd` and `from_raw_fd`: the same.
    pub after_raw_round_trip: RawFd,
    /// `try_clone` (`dup(2)`): a second number for the same socket.
    pub clone: RawFd,
    /// Both numbers lead to the same connection (same local address).
    pub clone_same_socket: bool,
}

// ANCHOR: ownership
/// The number, and moving its ownership around without ever closing it
/// twice or leaking it.
pub fn descriptors() -> io::Result<Descriptors> {
    let (client, _server) = tcp_pair()?;
    let fileno = client.as_raw_fd(); // borrowed: `client` still owns it
    let proc_link = fs::read_link(format!("/proc/self/fd/{fileno}"))?
        .to_string_lossy()
        .into_owned();

    let owned: OwnedFd = client.into(); // the OwnedFd owns it now
    let client = TcpStream::from(owned); // and now the TcpStream again
    let after_owned_fd = client.as_raw_fd();

    let raw = client.into_raw_fd(); // nobody owns it: we must close it
    // SAFETY: `raw` came from `into_raw_fd` just above; nothing else owns
    // or closes it, so the new TcpStream is its only owner.
    let client = unsafe { TcpStream::from_raw_fd(raw) };
    let after_raw_round_trip = client.as_raw_fd();

    let clone = client.try_clone()?; // dup(2): what Python's socket.fromfd does
    let clone_same_socket = clone.local_addr()? == client.local_addr()?;
    Ok(Descriptors {
        fileno,
        proc_link,
        after_owned_fd,
        after_raw_round_trip,
        clone: clone.as_raw_fd(),
        clone_same_socket,
    })
}
// ANCHOR_END: ownership

/// What a second owner of a descriptor saw after the first closed it.
#[derive(Debug)]
pub struct Alias {
    /// The number both objects held.
    pub number: RawFd,
    /// The server the original socket was connected to.
    pub meant_for: SocketAddr,
    /// The number the next connection got: the same one, if the kernel
    /// reused it (it takes the lowest free number).
    pub reused_as: RawFd,
    /// Where the alias's `getpeername` now points.
    pub alias_peer: io::Result<SocketAddr>,
}

// ANCHOR: alias
/// What `socket.socket(fileno=n)` risks, done on purpose: a second object
/// for a number another object owns. The owner closes; a new connection to
/// another server gets the freed number; the alias now talks to that server.
///
/// Run it in a program of its own (the `api-demo fileno` subcommand): with
/// other threads opening files, the reused number could be anybody's.
pub fn stale_alias() -> io::Result<Alias> {
    let server_a = TcpListener::bind("127.0.0.1:0")?;
    let server_b = TcpListener::bind("127.0.0.1:0")?;
    let owner = TcpStream::connect(server_a.local_addr()?)?;
    let number = owner.as_raw_fd();
    // SAFETY: this breaks the rule on purpose, to show why the rule exists:
    // `owner` still owns `number`. ManuallyDrop keeps the alias from closing
    // it a second time; every call made through the alias after `owner` is
    // dropped is a call on whatever the number means by then.
    let alias = ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(number) });
    drop(owner); // close(number)
    let other = TcpStream::connect(server_b.local_addr()?)?; // gets the lowest free number
    Ok(Alias {
        number,
        meant_for: server_a.local_addr()?,
        reused_as: other.as_raw_fd(),
        alias_peer: alias.peer_addr(),
    })
}
// ANCHOR_END: alias
