//! Each behaviour the book states about a call, asserted on real sockets
//! over loopback.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ch2_api::sendfile::{Method, send_file};
use ch2_api::{bind, connect, create, datagram, fd, io, listen, loopback, modes};

#[test]
fn socket_makes_an_unbound_unconnected_ipv4_tcp_socket() {
    let s = create::python_default_socket().unwrap();
    let d = create::describe(&s).unwrap();
    assert_eq!(
        (
            d.domain.as_str(),
            d.socket_type.as_str(),
            d.protocol.as_str()
        ),
        ("AF_INET", "SOCK_STREAM", "IPPROTO_TCP")
    );
    let local = s.local_addr().unwrap().as_socket().unwrap();
    assert_eq!(local.port(), 0, "not bound yet");
    assert_eq!(
        s.peer_addr().unwrap_err().raw_os_error(),
        Some(libc::ENOTCONN)
    );
}

#[test]
fn socketpair_ends_talk_to_each_other() {
    let (a, b) = create::socketpair_ping_pong().unwrap();
    assert_eq!((a.as_slice(), b.as_slice()), (&b"ping"[..], &b"pong"[..]));
}

#[test]
fn bind_port_zero_gets_a_real_port() {
    let addr = bind::bind_port_zero().unwrap();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
}

#[test]
fn a_listening_port_cannot_be_bound_again_even_with_so_reuseaddr() {
    let (without, with) = bind::bind_while_listening().unwrap();
    for err in [without, with] {
        assert_eq!(err.kind(), ErrorKind::AddrInUse);
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE));
    }
}

#[test]
fn std_listeners_set_so_reuseaddr() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    assert!(socket2::SockRef::from(&listener).reuse_address().unwrap());
}

#[test]
fn so_reuseaddr_lets_a_restarted_server_bind_past_time_wait() {
    let r = bind::restart_after_close().unwrap();
    assert!(
        matches!(r.lingering_state, Some("TIME_WAIT" | "FIN_WAIT2")),
        "{r:?}"
    );
    assert_eq!(
        r.without_reuse.as_ref().unwrap_err().kind(),
        ErrorKind::AddrInUse,
        "{r:?}"
    );
    assert!(r.with_reuse.is_ok(), "{r:?}");
}

#[test]
fn the_backlog_bounds_the_connections_waiting_for_accept() {
    for backlog in [0, 1, 3, 8] {
        let q = listen::measure_backlog(backlog, Duration::from_millis(300)).unwrap();
        let backlog = usize::try_from(backlog).unwrap();
        // Linux lets backlog + 1 wait; allow a little either way, never more.
        assert!(
            (backlog.max(1)..=backlog + 2).contains(&q.completed),
            "backlog {backlog}: {q:?}"
        );
        let kind = q.first_failure.as_ref().map(std::io::Error::kind);
        assert_eq!(kind, Some(ErrorKind::TimedOut), "backlog {backlog}");
        assert!(q.failed_after >= Duration::from_millis(250), "{q:?}");
    }
}

#[test]
fn std_listener_asks_for_a_backlog_of_128() {
    let q = listen::measure_std_listener(Duration::from_millis(300)).unwrap();
    assert!((128..=130).contains(&q.completed), "{q:?}");
}

#[test]
fn accept_returns_the_clients_own_address() {
    let (address, client_local) = listen::accept_one().unwrap();
    assert_eq!(address, client_local);
}

#[test]
fn connect_ex_returns_0_or_the_error_number() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    assert_eq!(connect::connect_ex(&s, listener.local_addr().unwrap()), 0);

    let refused = connect::refused().unwrap();
    assert_eq!(refused.code, libc::ECONNREFUSED);
    assert_eq!(
        refused.code, 111,
        "Linux's number; Windows' WSAECONNREFUSED is 10061"
    );
    assert_eq!(refused.error.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(refused.error.raw_os_error(), Some(111));
}

#[test]
fn getpeername_names_the_other_end() {
    let (by_client, by_server, not_connected) = connect::peer_names().unwrap();
    assert_eq!(by_client.ip(), by_server.ip());
    assert_ne!(by_client.port(), by_server.port());
    assert_eq!(not_connected.kind(), ErrorKind::NotConnected);
    assert_eq!(not_connected.raw_os_error(), Some(libc::ENOTCONN));
}

#[test]
fn recv_returns_at_most_n_and_0_at_the_end() {
    let r = io::receive_sizes().unwrap();
    assert_eq!(r.fewer, 5, "asked 1024, 5 had arrived");
    assert_eq!(r.at_most, 4, "asked 4 of 11");
    assert_eq!(r.rest, b"o world");
    assert_eq!(r.at_end, 0);
}

#[test]
fn half_close_keeps_the_way_back_open_and_close_does_not() {
    let e = io::half_close_and_close().unwrap();
    assert_eq!(e.half_close_read, b"question");
    assert_eq!(e.answer_after_half_close, b"answer");
    assert_eq!(e.close_read, b"goodbye");
    assert!(
        matches!(
            e.write_after_close.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        ),
        "{:?}",
        e.write_after_close
    );
}

#[test]
fn a_write_to_a_closed_peer_is_an_error_not_a_dead_process() {
    // Reaching the assertions at all shows SIGPIPE did not kill the test.
    let (client, mut server) = loopback::tcp_pair().unwrap();
    drop(client);
    let (_, err) = io::write_until_error(&mut server).unwrap();
    assert!(matches!(
        err.kind(),
        ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
    ));
}

#[test]
fn one_send_may_take_fewer_bytes_and_send_all_takes_them_all() {
    let p = io::partial_send().unwrap();
    assert!(p.first > 0 && p.first < p.asked, "{p:?}");
    assert!(p.buffered < p.asked, "{p:?}");
    assert_eq!(p.full.kind(), ErrorKind::WouldBlock, "{p:?}");
    assert_eq!(p.sendall_delivered, p.asked, "{p:?}");
}

#[test]
fn write_all_on_a_nonblocking_socket_stops_at_the_first_would_block() {
    let (mut sender, _receiver) = loopback::tcp_pair().unwrap();
    sender.set_nonblocking(true).unwrap();
    let err = sender.write_all(&vec![0; 64 << 20]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}

#[test]
fn nonblocking_accept_and_recv_fail_with_would_block() {
    let (accept_error, recv_error) = modes::nonblocking_errors().unwrap();
    for err in [accept_error, recv_error] {
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    }
}

#[test]
fn a_read_timeout_is_would_block_after_about_the_duration() {
    let limit = Duration::from_millis(200);
    let (err, waited) = modes::read_timeout(limit).unwrap();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "not TimedOut, on Unix");
    assert!(waited >= limit - Duration::from_millis(20), "{waited:?}");
    assert!(waited < limit + Duration::from_secs(5), "{waited:?}");
}

#[test]
fn a_zero_timeout_is_refused() {
    assert_eq!(
        modes::zero_timeout().unwrap().kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn connect_timeout_to_a_full_queue_is_timed_out() {
    let (full, _waiting) = listen::full_queue("127.0.0.1:0".parse().unwrap()).unwrap();
    let started = Instant::now();
    let err = TcpStream::connect_timeout(&full.local_addr().unwrap(), Duration::from_millis(200))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    assert!(started.elapsed() >= Duration::from_millis(190));
}

#[test]
fn sendto_and_recvfrom_carry_addresses_and_cut_big_datagrams() {
    let x = datagram::exchange().unwrap();
    assert_eq!(x.sent, 5);
    assert_eq!(x.received, b"hello");
    assert_eq!(x.from, x.sender);
    assert_eq!(x.truncated_read, 10);
    assert!(x.flagged_truncated);
    assert_eq!(x.next, b"next");
}

#[test]
fn ownership_moves_keep_the_number_and_dup_makes_a_new_one() {
    let d = fd::descriptors().unwrap();
    assert!(d.proc_link.starts_with("socket:["), "{d:?}");
    assert_eq!(d.after_owned_fd, d.fileno);
    assert_eq!(d.after_raw_round_trip, d.fileno);
    assert_ne!(d.clone, d.fileno);
    assert!(d.clone_same_socket);
}

#[test]
fn every_way_of_sending_a_file_delivers_it_intact() {
    let content: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
    let mut tmp = tempfile::NamedTempFile::new().unwrap();
    tmp.write_all(&content).unwrap();
    for method in Method::all() {
        let (mut stream, mut conn) = loopback::tcp_pair().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            conn.read_to_end(&mut got).unwrap();
            got
        });
        let mut file = std::fs::File::open(tmp.path()).unwrap();
        let sent = send_file(method, &mut file, &mut stream).unwrap();
        drop(stream);
        assert_eq!(sent, content.len() as u64, "{}", method.name());
        assert!(reader.join().unwrap() == content, "{}", method.name());
    }
}

#[test]
fn sendfile_method_names_round_trip() {
    for method in Method::all() {
        assert_eq!(Method::parse(&method.name()), Some(method));
    }
}
