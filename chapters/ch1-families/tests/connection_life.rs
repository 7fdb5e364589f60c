//! A TCP connection's life, as `book/ch1/connection-life.md` tells it: what
//! each call sends, and what the other side sees. Every test uses loopback
//! and ports the system chooses; every wait is bounded.
//!
//! Where the page names a connection's state (`ESTABLISHED`, `TIME_WAIT`),
//! the test reads it from the kernel's own table, `/proc/net/tcp` (Linux).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use book_support::observe::eventually;

use book_support::check::again_if_interrupted;
use socket2::{Domain, SockAddr, Socket, Type};

/// The longest any read or any look at the kernel's table waits: generous,
/// since two cores run many tests at once; a healthy run needs microseconds.
const WAIT: Duration = Duration::from_secs(10);

// ANCHOR: helpers
/// A listener on 127.0.0.1 and a port the system chooses, and its address.
fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    (listener, address)
}

/// Reads once, waiting at most [`WAIT`] (ten seconds): the bytes it got,
/// empty at the end of the stream.
fn read_once(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    stream.set_read_timeout(Some(WAIT))?;
    let mut buffer = [0; 64];
    let n = again_if_interrupted(|| stream.read(&mut buffer))?;
    Ok(buffer[..n].to_vec())
}
// ANCHOR_END: helpers

/// One connection in the kernel's table of IPv4 TCP sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// The state's name, as `ss` and `netstat` print it.
    state: &'static str,
    /// The seconds left on the entry's timer, if one runs.
    timer_seconds: Option<u64>,
}

/// The connection whose own port is `local` and whose peer's port is
/// `remote`, from `/proc/net/tcp`; `None` if the kernel lists none.
fn kernel_entry(local: SocketAddr, remote: SocketAddr) -> Option<Entry> {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let (local, remote) = (
        format!(":{:04X}", local.port()),
        format!(":{:04X}", remote.port()),
    );
    table.lines().skip(1).find_map(|line| {
        if !line.contains(&local) {
            return None; // most lines: quick to pass over
        }
        let columns: Vec<&str> = line.split_whitespace().collect();
        if !(columns[1].ends_with(&local) && columns[2].ends_with(&remote)) {
            return None;
        }
        let state = match columns[3] {
            "01" => "ESTABLISHED",
            "04" => "FIN_WAIT1",
            "05" => "FIN_WAIT2",
            "06" => "TIME_WAIT",
            "08" => "CLOSE_WAIT",
            "09" => "LAST_ACK",
            _ => "another state",
        };
        // `tr:when`: which timer runs (0 for none), and how long it has
        // left, in clock ticks (hexadecimal).
        let (timer, when) = columns[5].split_once(':').unwrap();
        // SAFETY: sysconf only reads a configuration value.
        let ticks_per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap();
        let timer_seconds = (timer != "00").then(|| {
            u64::from_str_radix(when, 16)
                .unwrap()
                .div_ceil(ticks_per_second)
        });
        Some(Entry {
            state,
            timer_seconds,
        })
    })
}

/// Looks at the kernel's table until `wanted` says yes, for at most
/// [`WAIT`], and returns what it saw last. A packet on loopback is handled
/// almost at once, but not always before the call that sent it returns; a
/// state change sends no event a test could wait on, so this looks again
/// every few milliseconds ([`eventually`]).
fn kernel_entry_when(
    local: SocketAddr,
    remote: SocketAddr,
    wanted: impl Fn(&Option<Entry>) -> bool,
) -> Option<Entry> {
    let mut entry = None;
    eventually(WAIT, || {
        entry = kernel_entry(local, remote);
        wanted(&entry)
    });
    entry
}

/// Whether some socket listens on `address`'s port (state `0A`, LISTEN).
fn someone_listens_on(address: SocketAddr) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!(":{:04X}", address.port());
    table.lines().skip(1).any(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        columns[1].ends_with(&local) && columns[3] == "0A"
    })
}

// ANCHOR: handshake
#[test]
fn the_kernel_finishes_the_handshake_before_accept() {
    let (listener, server) = listener();
    // connect returns when the handshake is done: SYN, SYN-ACK, ACK.
    let mut client = TcpStream::connect(server).unwrap();
    let me = client.local_addr().unwrap();
    // Nobody has called accept, yet the connection is set up, on both sides,
    // and the client may already send.
    let waiting = kernel_entry_when(server, me, |e| e.is_some());
    assert_eq!(waiting.unwrap().state, "ESTABLISHED");
    client.write_all(b"early").unwrap();
    // accept takes the finished connection out of the accept queue, with
    // what the client sent in the meantime.
    let (mut conn, peer) = listener.accept().unwrap();
    assert_eq!(peer, me);
    assert_eq!(read_once(&mut conn).unwrap(), b"early");
}
// ANCHOR_END: handshake

// ANCHOR: half_close
#[test]
fn after_a_half_close_the_peer_reads_0_and_can_still_answer() {
    let (listener, server) = listener();
    let mut client = TcpStream::connect(server).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    client.write_all(b"question").unwrap();
    client.shutdown(Shutdown::Write).unwrap(); // sends FIN
    assert_eq!(read_once(&mut conn).unwrap(), b"question");
    // The FIN: a read returns 0 bytes, Python's b"". Not an error.
    assert_eq!(read_once(&mut conn).unwrap(), b"");
    // The other direction is still open.
    conn.write_all(b"answer").unwrap();
    assert_eq!(read_once(&mut client).unwrap(), b"answer");
    drop(conn); // close: the server's FIN
    assert_eq!(read_once(&mut client).unwrap(), b"");
}
// ANCHOR_END: half_close

#[test]
fn a_half_close_then_a_close_walk_the_states_of_the_diagram() {
    let (listener, server) = listener();
    let mut client = TcpStream::connect(server).unwrap();
    let me = client.local_addr().unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    client.shutdown(Shutdown::Write).unwrap(); // the client's FIN
    assert_eq!(read_once(&mut conn).unwrap(), b"");
    // The server has the FIN and may still send; the client waits for its FIN.
    assert_eq!(kernel_entry(server, me).unwrap().state, "CLOSE_WAIT");
    let client_side = kernel_entry_when(me, server, |e| {
        e.as_ref().is_some_and(|e| e.state == "FIN_WAIT2")
    });
    assert_eq!(client_side.unwrap().state, "FIN_WAIT2");
    drop(conn); // the server's FIN
    assert_eq!(read_once(&mut client).unwrap(), b"");
    // The client sent the first FIN: it keeps the connection in TIME_WAIT.
    let client_side = kernel_entry_when(me, server, |e| {
        e.as_ref().is_some_and(|e| e.state == "TIME_WAIT")
    });
    assert_eq!(client_side.unwrap().state, "TIME_WAIT");
    // The server's FIN has been acknowledged: it keeps nothing.
    assert_eq!(kernel_entry_when(server, me, Option::is_none), None);
}

// ANCHOR: time_wait
#[test]
fn the_side_that_closes_first_waits_in_time_wait_for_a_minute() {
    let (listener, server) = listener();
    let mut client = TcpStream::connect(server).unwrap();
    let me = client.local_addr().unwrap();
    let (conn, _) = listener.accept().unwrap();
    drop(conn); // the server closes first
    assert_eq!(read_once(&mut client).unwrap(), b"");
    drop(client); // then the client
    let first = kernel_entry_when(server, me, |e| {
        e.as_ref().is_some_and(|e| e.state == "TIME_WAIT")
    })
    .unwrap();
    assert_eq!(first.state, "TIME_WAIT");
    let seconds = first.timer_seconds.unwrap();
    assert!((50..=60).contains(&seconds), "{seconds} s left");
    // The side that closed second keeps nothing.
    assert_eq!(kernel_entry_when(me, server, Option::is_none), None);
    // The old connection holds the server's port: without SO_REUSEADDR a new
    // server cannot bind it; with it (std's TcpListener sets it), it can.
    drop(listener);
    let bind = |reuse: bool| {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket.set_reuse_address(reuse).unwrap();
        socket.bind(&SockAddr::from(server)).map(drop)
    };
    assert_eq!(bind(false).unwrap_err().kind(), ErrorKind::AddrInUse);
    let rebound = bind(true);
    // (Unless another program took the freed port meanwhile: SO_REUSEADDR
    // lets a listener that asked for port 0 get a port only TIME_WAIT holds.)
    assert!(rebound.is_ok() || someone_listens_on(server), "{rebound:?}");
}
// ANCHOR_END: time_wait

// ANCHOR: reset
#[test]
fn connecting_where_nobody_listens_is_refused_by_a_reset() {
    // A socket bound but not listening holds the port, so nobody else can
    // listen there while the test runs.
    let holder = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    holder
        .bind(&SockAddr::from(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap();
    let address = holder.local_addr().unwrap().as_socket().unwrap();
    let refused = TcpStream::connect(address).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn closing_with_unread_bytes_resets_the_connection() {
    let (listener, server) = listener();
    let mut client = TcpStream::connect(server).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    client.write_all(b"ab").unwrap();
    let mut one = [0; 1];
    conn.read_exact(&mut one).unwrap(); // "a" has arrived, and "b" with it
    drop(conn); // "b" is never read: the kernel sends RST, not FIN
    let reset = read_once(&mut client).unwrap_err();
    assert_eq!(reset.kind(), ErrorKind::ConnectionReset);
}
// ANCHOR_END: reset

// ANCHOR: icmp
#[cfg(target_os = "linux")]
#[test]
fn a_datagram_nobody_receives_comes_back_as_icmp_port_unreachable() {
    // Hold a port on 127.0.0.1 and send to the same port on 127.0.0.2
    // (loopback too, on Linux), where no socket receives.
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.connect(("127.0.0.2", port)).unwrap(); // sends nothing
    client.send(b"anyone?").unwrap(); // succeeds: UDP waits for no answer
    // The ICMP message reaches a connected socket as an error on its next
    // call.
    client.set_read_timeout(Some(WAIT)).unwrap();
    let refused = again_if_interrupted(|| client.recv(&mut [0; 64])).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
}
// ANCHOR_END: icmp

#[cfg(target_os = "linux")]
#[test]
fn an_unconnected_udp_socket_hears_nothing_of_the_icmp_message() {
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let unconnected = UdpSocket::bind("127.0.0.1:0").unwrap();
    unconnected
        .send_to(b"anyone?", ("127.0.0.2", port))
        .unwrap();
    // A connected socket sends after it and waits for its own refusal; by
    // then the first datagram's ICMP message has come back too.
    let connected = UdpSocket::bind("127.0.0.1:0").unwrap();
    connected.connect(("127.0.0.2", port)).unwrap();
    connected.send(b"anyone?").unwrap();
    connected.set_read_timeout(Some(WAIT)).unwrap();
    let refused = again_if_interrupted(|| connected.recv(&mut [0; 64])).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
    // The unconnected socket has nothing: no datagram, no error.
    unconnected.set_nonblocking(true).unwrap();
    let nothing = unconnected.recv_from(&mut [0; 64]).unwrap_err();
    assert_eq!(nothing.kind(), ErrorKind::WouldBlock);
}
