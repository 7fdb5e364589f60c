//! Bad input and absent peers: each ends in one `error: ...` line and a
//! failing exit code, never a panic. And what a too-small buffer does.

use crate::common;

use std::net::{TcpListener, UdpSocket};

use common::{CLIENT, Case, Running, WAIT, client, one_error_line, server_fails, text};
use socket2::{Domain, SockAddr, Socket, Type};

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_unix_path_longer_than_sun_path_is_refused_by_both_programs() {
    let long = format!("/tmp/{}.sock", "x".repeat(110));
    let expected = format!(
        "error: the socket path is {} bytes long; a Unix socket path can be at most 107 bytes \
         (the kernel's sun_path field holds 108, ending with a NUL byte): {long}",
        long.len()
    );
    let output = server_fails(&["--transport", "unix-stream", "--path", &long]);
    assert_eq!(one_error_line(&output.get_output().stderr), expected);
    let output = client(
        &strings(&["--transport", "unix-dgram", "--path", &long]),
        &[],
        "x\n",
    );
    assert_eq!(
        one_error_line(&output.failure().get_output().stderr),
        expected
    );
}

#[test]
fn a_path_in_a_missing_folder_says_which_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder");
    let path = missing.join("echo.sock");
    let path = path.to_str().unwrap();
    let output = server_fails(&["--transport", "unix-seqpacket", "--path", path]);
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        format!(
            "error: cannot bind a unix-seqpacket socket to {path} (the folder {} does not \
             exist): No such file or directory (os error 2)",
            missing.display()
        )
    );
}

#[test]
fn a_host_that_is_not_an_address_is_refused_by_both_programs() {
    let expected = "error: `localhost` is not an IP address: give a numeric one, such as \
                    127.0.0.1 or ::1: invalid IP address syntax";
    let output = server_fails(&["--host", "localhost", "--port", "0"]);
    assert_eq!(one_error_line(&output.get_output().stderr), expected);
    let output = client(&strings(&["--host", "localhost"]), &[], "x\n").failure();
    assert_eq!(one_error_line(&output.get_output().stderr), expected);
}

#[test]
fn a_port_in_use_is_refused_for_tcp_and_udp() {
    for case in [Case::Tcp4, Case::Udp4, Case::Tcp6, Case::Udp6] {
        let Some(first) = Running::start(case, "port in use", &[]) else {
            continue;
        };
        let address = first.server.socket_addr().unwrap();
        let port = address.port().to_string();
        let host = address.ip().to_string();
        let output = server_fails(&[
            "--transport",
            case.transport(),
            "--host",
            &host,
            "--port",
            &port,
        ]);
        assert_eq!(
            one_error_line(&output.get_output().stderr),
            format!(
                "error: cannot bind a {} socket to {address}: Address already in use (os error 98)",
                case.transport()
            ),
            "{case:?}"
        );
    }
}

#[test]
fn a_tcp_client_with_nobody_listening_is_refused() {
    // A socket bound but not listening: the port is ours, so no other test
    // can take it, and a connection to it is refused.
    let holder = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    holder
        .bind(&SockAddr::from(
            "127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap(),
        ))
        .unwrap();
    let address = holder.local_addr().unwrap().as_socket().unwrap();
    let args = strings(&["--port", &address.port().to_string()]);
    let output = client(&args, &[], "anyone?\n").failure();
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        format!("error: cannot connect to {address} (tcp): Connection refused (os error 111)")
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_udp_client_with_nobody_listening_hears_the_refusal() {
    // UDP has no connection to refuse: the kernel answers the datagram with
    // an ICMP "port unreachable", which a connected UDP socket reports on
    // its next receive. To be sure nobody listens on the port we use, we
    // hold it on 127.0.0.1 (which stops anyone binding it on every address)
    // and send to 127.0.0.2, which is loopback too on Linux.
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let args = strings(&["--transport", "udp", "--host", "127.0.0.2", "--port", &port]);
    let output = client(&args, &[], "anyone?\n").failure();
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        format!(
            "error: no answer from 127.0.0.2:{port} (nothing receives on that port: the kernel \
             answered with ICMP \"port unreachable\"): Connection refused (os error 111)"
        )
    );
}

#[test]
fn a_unix_client_with_nobody_there_is_refused_or_finds_no_file() {
    let dir = tempfile::tempdir().unwrap();
    // A stale socket file: it exists, nobody is bound to it.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let stale = stale.to_str().unwrap().to_string();
    for transport in ["unix-stream", "unix-dgram", "unix-seqpacket"] {
        let args = strings(&["--transport", transport, "--path", &stale]);
        let output = client(&args, &[], "x\n").failure();
        assert_eq!(
            one_error_line(&output.get_output().stderr),
            format!(
                "error: cannot connect to {stale} ({transport}): Connection refused (os error 111)"
            )
        );
    }
    let missing = dir.path().join("missing.sock");
    let missing = missing.to_str().unwrap();
    let args = strings(&["--transport", "unix-dgram", "--path", missing]);
    let output = client(&args, &[], "x\n").failure();
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        format!(
            "error: cannot connect to {missing} (unix-dgram): No such file or directory (os error 2)"
        )
    );
}

#[test]
fn a_datagram_bigger_than_the_clients_buffer_is_cut_and_the_rest_is_lost() {
    let line = "0123456789".repeat(10);
    for case in [Case::Udp4, Case::UnixDgram, Case::UnixSeqpacket] {
        let running = Running::start(case, "truncation", &[]).unwrap();
        let output = running
            .client(&["--buffer", "16"], &format!("{line}\nnext\n"))
            .success();
        let out = output.get_output();
        // The first 16 bytes, then the next message: not the rest of this one.
        assert_eq!(text(&out.stdout), "0123456789012345\nnext\n", "{case:?}");
        assert_eq!(
            text(&out.stderr),
            "note: the reply was a message of 100 bytes; only the first 16 fit in the buffer \
             (--buffer), the rest was thrown away\n",
            "{case:?}"
        );
    }
}

#[test]
fn a_stream_with_a_small_buffer_loses_nothing() {
    let line = "0123456789".repeat(10);
    for case in [Case::Tcp4, Case::UnixStream] {
        let running = Running::start(case, "small stream buffer", &[]).unwrap();
        let output = running
            .client(&["--buffer", "16"], &format!("{line}\n"))
            .success();
        assert_eq!(
            text(&output.get_output().stdout),
            format!("{line}\n"),
            "{case:?}"
        );
    }
}

#[test]
fn the_articles_recv_1024_cuts_a_big_datagram_at_the_server() {
    let running = Running::start(Case::Udp4, "server buffer", &["--buffer", "1024"]).unwrap();
    let line = "z".repeat(3000);
    let output = running.client(&[], &format!("{line}\n")).success();
    // The echo is what the server kept: 1024 bytes, whole as far as the
    // client can tell.
    assert_eq!(
        text(&output.get_output().stdout),
        format!("{}\n", "z".repeat(1024))
    );
    let log = running.log_line("datagram from");
    assert!(
        log.contains(": 1024 of 3000 bytes (truncated: the rest is lost)"),
        "{log}"
    );
}

#[test]
fn a_udp_datagram_bigger_than_udp_allows_is_refused_by_the_kernel() {
    let running = Running::start(Case::Udp4, "too big", &[]).unwrap();
    let output = running
        .client(&[], &format!("{}\n", "x".repeat(70_000)))
        .failure();
    let line = one_error_line(&output.get_output().stderr);
    assert_eq!(
        line,
        format!(
            "error: cannot send 70000 bytes to {}: Message too long (os error 90)",
            running.server.address()
        )
    );
}

#[test]
fn sending_everything_first_is_limited_to_a_few_lines() {
    let running = Running::start(Case::UnixDgram, "batch limit", &[]).unwrap();
    let many: String = (0..11).map(|i| format!("{i}\n")).collect();
    let output = running.client(&["--send-all-first"], &many).failure();
    let line = one_error_line(&output.get_output().stderr);
    assert!(line.contains("at most 10 lines and 32768 bytes"), "{line}");
}

#[test]
fn options_of_the_wrong_transport_are_refused() {
    let output = server_fails(&["--transport", "unix-stream"]);
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        "error: --transport unix-stream needs --path PATH (or --path @name on Linux)"
    );
    let output = server_fails(&["--transport", "udp", "--path", "/tmp/x.sock"]);
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        "error: --path is for the unix transports; udp takes --host and --port"
    );
    let output = client(&strings(&["--transport", "tcp", "--unbound"]), &[], "x\n").failure();
    assert_eq!(
        one_error_line(&output.get_output().stderr),
        "error: --bind and --unbound are for --transport unix-dgram"
    );
}

#[test]
fn a_server_that_vanishes_mid_conversation_is_an_error_not_a_panic() {
    // A "server" that accepts one connection and closes it at once.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let closer = std::thread::spawn(move || drop(listener.accept()));
    let output = assert_cmd::Command::new(CLIENT)
        .args(["--port", &port])
        .write_stdin("hello\n")
        .timeout(WAIT)
        .assert()
        .failure();
    closer.join().unwrap();
    let line = one_error_line(&output.get_output().stderr);
    assert!(
        line == "error: the server closed the connection after echoing 0 of 5 bytes"
            || line.starts_with("error: no answer from 127.0.0.1:")
            || line.starts_with("error: cannot send 5 bytes"),
        "{line}"
    );
}

#[test]
fn the_server_survives_a_client_that_vanishes() {
    let running = Running::start(Case::Tcp4, "vanishing client", &[]).unwrap();
    let address = running.server.socket_addr().unwrap();
    // Connect and send, then close without reading the echo.
    {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(b"bye").unwrap();
    }
    running.log_line("connection 1: ");
    let output = running.client(&[], "still here\n").success();
    assert_eq!(text(&output.get_output().stdout), "still here\n");
}
