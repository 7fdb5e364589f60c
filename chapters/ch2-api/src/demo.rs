//! The demonstrations `api-demo` runs: one subcommand per call (or small
//! group of calls), each printing what really happened on this machine.
//!
//! [`Demo`] lists them, in the book's order. Each line of that list is the
//! one place a demonstration is named (clap spells `CreateConnection` as
//! `create-connection` on the command line), described (its doc comment is
//! its `--help`), and tied to the function that runs it.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use crate::sendfile::{self, Method};
use crate::{
    bind, connect, create, datagram, describe_error, fd, io, listen, modes, preview, resolve, say,
};

/// Makes [`Demo`] from a list of `Name => function,` lines, each with its
/// doc comment, and adds `all` at the end.
macro_rules! demos {
    ($($(#[$help:meta])* $name:ident => $run:ident,)+) => {
        /// A demonstration of `api-demo`, in the book's order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
        pub enum Demo {
            $($(#[$help])* $name,)+
            /// Every demonstration, one after another.
            All,
        }

        impl Demo {
            /// Every demonstration but `all`, in the book's order.
            pub const EACH: &[Demo] = &[$(Demo::$name),+];

            /// Runs the demonstration; `all` runs each in turn, under a
            /// `== name` heading.
            pub fn run(self) -> Result<()> {
                match self {
                    $(Demo::$name => $run(),)+
                    Demo::All => {
                        for demo in Demo::EACH {
                            say(format!("== {}", demo.name()));
                            demo.run()?;
                        }
                        Ok(())
                    }
                }
            }
        }
    };
}

demos! {
    /// socket(): the socket Python makes by default, and its state.
    Socket => socket,
    /// socketpair(): two connected sockets from one call.
    Socketpair => socketpair,
    /// getaddrinfo(): names to addresses, from /etc/hosts only.
    Getaddrinfo => getaddrinfo,
    /// create_connection(): each address in turn, a timeout, a source address.
    CreateConnection => create_connection,
    /// bind() and getsockname(): port 0, "address in use", SO_REUSEADDR.
    Bind => bind,
    /// listen(backlog): how many connections wait for accept().
    Listen => listen,
    /// accept(): the client's address, as the server sees it.
    Accept => accept,
    /// connect() and connect_ex(): a refusal as an error or as a code.
    Connect => connect,
    /// getpeername(): the other end's address.
    Getpeername => getpeername,
    /// recv(bufsize): at most that many bytes, not exactly.
    Recv => recv,
    /// shutdown() and close(): the end of a stream, and writing to a closed peer.
    Close => close,
    /// send() and sendall(): a partial send, and the loop that finishes it.
    Send => send,
    /// sendto() and recvfrom(): datagrams, and one cut short.
    Udp => udp,
    /// setblocking(False): an error instead of a wait.
    Setblocking => setblocking,
    /// settimeout(): waits that give up, and a zero timeout refused.
    Settimeout => settimeout,
    /// fileno(): the descriptor number, and who owns it.
    Fileno => fileno,
    /// sendfile() and copy loops: the same bytes arrive.
    Sendfile => send_file,
}

impl Demo {
    /// The name the command line knows it by: `create-connection`.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_default()
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn socket() -> Result<()> {
    let s = create::python_default_socket()?;
    let d = create::describe(&s)?;
    say(format!(
        "socket.socket(): domain {}, type {}, protocol {}",
        d.domain, d.socket_type, d.protocol
    ));
    say(format!(
        "bound: {}, connected: {}",
        s.local_addr()?.as_socket().is_some_and(|a| a.port() != 0),
        s.peer_addr().is_ok()
    ));
    Ok(())
}

fn socketpair() -> Result<()> {
    let (a, b) = create::socketpair_ping_pong()?;
    say(format!(
        "UnixStream::pair(): the right end read {}",
        preview(&a)
    ));
    say(format!(
        "Socket::pair(UNIX, DGRAM): the second end read {}",
        preview(&b)
    ));
    Ok(())
}

fn getaddrinfo() -> Result<()> {
    let files_only = resolve::look_up_in_hosts_file_only();
    say(format!(
        "looking names up in /etc/hosts only (no DNS query leaves this machine): {files_only}"
    ));
    let limit = Duration::from_secs(5);
    for host in ["localhost", "127.0.0.1", "::1", "no-such-host.invalid"] {
        let started = Instant::now();
        match resolve::getaddrinfo(host, 80, limit) {
            Ok(addrs) => say(format!(
                "getaddrinfo({host:?}, 80): {addrs:?} in {}",
                secs(started.elapsed())
            )),
            Err(err) => say(format!(
                "getaddrinfo({host:?}, 80): error {} in {}",
                describe_error(&err),
                secs(started.elapsed())
            )),
        }
    }
    Ok(())
}

fn create_connection() -> Result<()> {
    let timeout = Duration::from_millis(500);
    let server = TcpListener::bind("127.0.0.1:0")?;
    let port = server.local_addr()?.port();
    let v6: SocketAddr = format!("[::1]:{port}").parse()?;
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    say(format!("a server listens on {v4} only"));

    let candidates = [v6, v4];
    let started = Instant::now();
    let stream = resolve::create_connection(&candidates[..], timeout, None)?;
    say(format!(
        "create_connection({candidates:?}): connected to {} in {} ({v6} refused)",
        stream.peer_addr()?,
        secs(started.elapsed())
    ));
    drop(server.accept()?); // take that connection out of the queue

    let source: SocketAddr = "127.0.0.2:0".parse()?;
    let stream = resolve::create_connection(v4, timeout, Some(source))?;
    let (_conn, seen) = server.accept()?;
    say(format!(
        "with source_address {source}: local address {}, the server saw {seen}",
        stream.local_addr()?
    ));

    let (_full, _waiting) = listen::full_queue(v6)?;
    say(format!(
        "now {v6} listens too, but its queue is full: a SYN to it goes unanswered"
    ));
    let started = Instant::now();
    let stream = resolve::create_connection(&candidates[..], timeout, None)?;
    say(format!(
        "create_connection({candidates:?}, timeout={}): connected to {} in {}",
        secs(timeout),
        stream.peer_addr()?,
        secs(started.elapsed())
    ));

    let (_holder, closed) = connect::closed_port()?;
    match resolve::create_connection(closed, timeout, None) {
        Ok(_) => bail!("a connection to a closed port succeeded"),
        Err(err) => say(format!(
            "create_connection({closed}) where nothing listens: {}",
            describe_error(&err)
        )),
    }
    Ok(())
}

fn bind() -> Result<()> {
    say(format!(
        "bind(('127.0.0.1', 0)), then getsockname(): {}",
        bind::bind_port_zero()?
    ));
    let (without, with) = bind::bind_while_listening()?;
    say(format!(
        "bind to a port a listener holds, without SO_REUSEADDR: {}",
        describe_error(&without)
    ));
    say(format!(
        "the same with SO_REUSEADDR:                          {}",
        describe_error(&with)
    ));
    let restart = bind::restart_after_close()?;
    say(format!(
        "a server closed its connection first and stopped; its connection is now in {}",
        restart.lingering_state.unwrap_or("(not listed)")
    ));
    let show = |r: &std::io::Result<()>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => describe_error(e),
    };
    say(format!(
        "a new server binds that port without SO_REUSEADDR: {}",
        show(&restart.without_reuse)
    ));
    say(format!(
        "a new server binds that port with SO_REUSEADDR:    {}",
        show(&restart.with_reuse)
    ));
    Ok(())
}

fn listen() -> Result<()> {
    let timeout = Duration::from_millis(200);
    for backlog in [0, 1, 5, 10] {
        let q = listen::measure_backlog(backlog, timeout)?;
        say(format!(
            "listen({backlog:>2}), never accept: {:>2} connects finished; the next: {} after {}",
            q.completed,
            q.first_failure
                .as_ref()
                .map_or("none failed".into(), describe_error),
            secs(q.failed_after)
        ));
    }
    let q = listen::measure_std_listener(timeout)?;
    say(format!(
        "std TcpListener::bind, never accept: {} connects finished (it asks for a backlog of 128)",
        q.completed
    ));
    Ok(())
}

fn accept() -> Result<()> {
    let (address, client_local) = listen::accept_one()?;
    say(format!(
        "accept() returned address {address}; the client's getsockname() is {client_local}"
    ));
    Ok(())
}

fn connect() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    say(format!(
        "connect_ex({}) where a server listens: {}",
        listener.local_addr()?,
        connect::connect_ex(&socket, listener.local_addr()?)
    ));
    let refused = connect::refused()?;
    say(format!(
        "connect_ex() where nothing listens: {} (libc::ECONNREFUSED is {})",
        refused.code,
        libc::ECONNREFUSED
    ));
    say(format!(
        "TcpStream::connect() where nothing listens: {}",
        describe_error(&refused.error)
    ));
    Ok(())
}

fn getpeername() -> Result<()> {
    let (by_client, by_server, not_connected) = connect::peer_names()?;
    say(format!("the client's getpeername(): {by_client}"));
    say(format!("the server's getpeername(): {by_server}"));
    say(format!(
        "getpeername() of a socket never connected: {}",
        describe_error(&not_connected)
    ));
    Ok(())
}

fn recv() -> Result<()> {
    let r = io::receive_sizes()?;
    say(format!(
        "peer sent 5 bytes; recv(1024) returned {} bytes",
        r.fewer
    ));
    say(format!(
        "peer sent 11 bytes; recv(4) returned {} bytes, the next recv the other {} {}",
        r.at_most,
        r.rest.len(),
        preview(&r.rest)
    ));
    say(format!(
        "peer closed; recv(1024) returned {} bytes",
        r.at_end
    ));
    Ok(())
}

fn close() -> Result<()> {
    let e = io::half_close_and_close()?;
    say(format!(
        "after the peer's shutdown(SHUT_WR): read {} then end of stream; our answer reached it: {}",
        preview(&e.half_close_read),
        preview(&e.answer_after_half_close)
    ));
    say(format!(
        "after the peer's close(): read {} then end of stream",
        preview(&e.close_read)
    ));
    say(format!(
        "then writing to it: {} writes succeeded, the next failed: {}",
        e.writes_before_error,
        describe_error(&e.write_after_close)
    ));
    say("this process is still alive: Rust ignores SIGPIPE, so the error came back as a value");
    Ok(())
}

fn send() -> Result<()> {
    let p = io::partial_send()?;
    say(format!(
        "non-blocking send of {} bytes, the peer not reading: the first send took {}",
        p.asked, p.first
    ));
    say(format!(
        "sends until the buffers were full took {} in all; the next: {}",
        p.buffered,
        describe_error(&p.full)
    ));
    say(format!(
        "send_all of the {} bytes while the peer reads: {} delivered",
        p.asked, p.sendall_delivered
    ));
    Ok(())
}

fn udp() -> Result<()> {
    let x = datagram::exchange()?;
    say(format!(
        "sendto(b'hello', ...): {}; recvfrom(1024): {} from {}",
        x.sent,
        preview(&x.received),
        x.from
    ));
    say(format!("the sender's getsockname(): {}", x.sender));
    say(format!(
        "a 100-byte datagram into a 10-byte buffer: {} bytes read, MSG_TRUNC set: {}",
        x.truncated_read, x.flagged_truncated
    ));
    say(format!(
        "the next recvfrom: {}: the other 90 bytes are gone",
        preview(&x.next)
    ));
    Ok(())
}

fn setblocking() -> Result<()> {
    let (accept_error, recv_error) = modes::nonblocking_errors()?;
    say(format!(
        "setblocking(False), accept() with nobody connecting: {}",
        describe_error(&accept_error)
    ));
    say(format!(
        "setblocking(False), recv() with nothing sent:        {}",
        describe_error(&recv_error)
    ));
    Ok(())
}

fn settimeout() -> Result<()> {
    let limit = Duration::from_millis(300);
    let (err, waited) = modes::read_timeout(limit)?;
    say(format!(
        "set_read_timeout({}), recv() with nothing sent: after {}: {}",
        secs(limit),
        secs(waited),
        describe_error(&err)
    ));
    let addr: SocketAddr = "[::1]:0".parse()?;
    let (full, _waiting) = listen::full_queue(addr)?;
    let started = Instant::now();
    match std::net::TcpStream::connect_timeout(&full.local_addr()?, limit) {
        Ok(_) => bail!("a connection to a full queue succeeded"),
        Err(err) => say(format!(
            "connect_timeout({}) to a listener with a full queue: after {}: {}",
            secs(limit),
            secs(started.elapsed()),
            describe_error(&err)
        )),
    }
    say(format!(
        "set_read_timeout(0): {}",
        describe_error(&modes::zero_timeout()?)
    ));
    Ok(())
}

fn fileno() -> Result<()> {
    let d = fd::descriptors()?;
    say(format!("fileno(): {} -> {}", d.fileno, d.proc_link));
    say(format!(
        "after into() an OwnedFd and back: {}; after into_raw_fd/from_raw_fd: {}",
        d.after_owned_fd, d.after_raw_round_trip
    ));
    say(format!(
        "try_clone() (dup): a new number {} for the same socket: {}",
        d.clone, d.clone_same_socket
    ));
    let a = fd::stale_alias()?;
    say(format!(
        "a second owner of fd {} (connected to {}); the owner closes; the next connection gets fd {}",
        a.number, a.meant_for, a.reused_as
    ));
    match a.alias_peer {
        Ok(peer) => say(format!(
            "the stale second owner now reports peer {peer}: not the server it was made for"
        )),
        Err(err) => say(format!(
            "the stale second owner now fails: {}",
            describe_error(&err)
        )),
    }
    Ok(())
}

fn send_file() -> Result<()> {
    const SIZE: usize = 8 << 20;
    let content: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
    let mut tmp = tempfile::NamedTempFile::new()?;
    tmp.write_all(&content)?;
    for method in Method::all() {
        let mut file = File::open(tmp.path())?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let mut stream = std::net::TcpStream::connect(listener.local_addr()?)?;
        let (mut conn, _) = listener.accept()?;
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            conn.read_to_end(&mut got).map(|_| got)
        });
        let sent = sendfile::send_file(method, &mut file, &mut stream)?;
        drop(stream);
        let got = reader
            .join()
            .map_err(|_| anyhow::anyhow!("reader panicked"))?
            .context("receiving")?;
        say(format!(
            "{:<9} sent {sent} bytes; the peer received them intact: {}",
            method.name(),
            got == content
        ));
    }
    Ok(())
}
