//! getaddrinfo and create_connection. This test program looks names up in
//! /etc/hosts only (no DNS query leaves the machine), so it has a file of
//! its own.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use ch2_api::resolve::{self, create_connection, getaddrinfo};
use ch2_api::{connect, listen};

fn files_only() {
    assert!(
        resolve::look_up_in_hosts_file_only(),
        "this test needs glibc's __nss_configure_lookup"
    );
}

#[test]
fn localhost_resolves_to_what_the_hosts_file_says() {
    files_only();
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap();
    let listed: BTreeSet<IpAddr> = resolve::hosts_file_addresses(&hosts, "localhost")
        .into_iter()
        .collect();
    let got: BTreeSet<IpAddr> = getaddrinfo("localhost", 80, Duration::from_secs(5))
        .unwrap()
        .into_iter()
        .map(|a| a.ip())
        .collect();
    assert_eq!(got, listed, "getaddrinfo(localhost) against /etc/hosts");
    assert!(got.contains(&IpAddr::from([127, 0, 0, 1])));
}

#[test]
fn hosts_file_parsing_finds_both_families() {
    let debian = "127.0.0.1 localhost\n::1 localhost ip6-localhost # v6\n10.0.0.1 other\n";
    let addrs = resolve::hosts_file_addresses(debian, "localhost");
    assert_eq!(addrs.len(), 2);
    assert!(addrs.iter().any(IpAddr::is_ipv6) && addrs.iter().any(IpAddr::is_ipv4));
}

#[test]
fn numeric_addresses_resolve_to_themselves() {
    files_only();
    let limit = Duration::from_secs(5);
    assert_eq!(
        getaddrinfo("127.0.0.1", 80, limit).unwrap(),
        vec![SocketAddr::from(([127, 0, 0, 1], 80))]
    );
    assert_eq!(
        getaddrinfo("::1", 80, limit).unwrap(),
        vec!["[::1]:80".parse::<SocketAddr>().unwrap()]
    );
}

#[test]
fn a_name_that_does_not_resolve_fails_quickly() {
    files_only();
    let started = Instant::now();
    let err = getaddrinfo("no-such-host.invalid", 80, Duration::from_secs(5)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_ne!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_eq!(err.raw_os_error(), None, "a resolver error, not an errno");
    assert!(
        err.to_string().contains("Name or service not known"),
        "{err}"
    );
}

#[test]
fn create_connection_falls_back_to_the_address_that_listens() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let v4: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let s = create_connection(&[v6, v4][..], Duration::from_secs(2), None).unwrap();
    assert_eq!(s.peer_addr().unwrap(), v4);

    // The other way round: only ::1 listens.
    let listener6 = TcpListener::bind("[::1]:0").unwrap();
    let v6 = listener6.local_addr().unwrap();
    let v4: SocketAddr = format!("127.0.0.1:{}", v6.port()).parse().unwrap();
    let s = create_connection(&[v4, v6][..], Duration::from_secs(2), None).unwrap();
    assert_eq!(s.peer_addr().unwrap(), v6);
}

#[test]
fn create_connection_by_name_reaches_a_server_on_localhost() {
    files_only();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Whatever localhost resolves to here (::1 first on many systems), the
    // IPv4 server is reached.
    let s = create_connection(("localhost", port), Duration::from_secs(2), None).unwrap();
    assert_eq!(s.peer_addr().unwrap(), listener.local_addr().unwrap());
}

#[test]
fn create_connection_gives_up_on_a_silent_address_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let v4 = listener.local_addr().unwrap();
    let v6: SocketAddr = format!("[::1]:{}", v4.port()).parse().unwrap();
    let Ok((_full, _waiting)) = listen::full_queue(v6) else {
        eprintln!("SKIPPED: [::1]:{} is taken", v4.port());
        return;
    };
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let s = create_connection(&[v6, v4][..], timeout, None).unwrap();
    let took = started.elapsed();
    assert_eq!(s.peer_addr().unwrap(), v4);
    assert!(took >= timeout - Duration::from_millis(20), "{took:?}");
    assert!(took < timeout + Duration::from_secs(5), "{took:?}");
}

#[test]
fn create_connection_binds_the_source_address() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let source: SocketAddr = "127.0.0.2:0".parse().unwrap();
    let s = create_connection(
        listener.local_addr().unwrap(),
        Duration::from_secs(2),
        Some(source),
    )
    .unwrap();
    let (_conn, seen) = listener.accept().unwrap();
    assert_eq!(seen.ip(), source.ip());
    assert_eq!(seen, s.local_addr().unwrap());
}

#[test]
fn create_connection_returns_the_last_error_when_all_fail() {
    let (_holder, closed) = connect::closed_port().unwrap();
    let err = create_connection(closed, Duration::from_secs(2), None).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}
