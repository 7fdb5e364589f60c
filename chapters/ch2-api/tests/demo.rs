//! Every `api-demo` subcommand runs and prints what the book shows.

use crate::common;

use std::process::Command;

use common::demo;

/// Asserts that `output` has a line containing every one of `parts`.
fn has_line(output: &str, parts: &[&str]) {
    assert!(
        output.lines().any(|l| parts.iter().all(|p| l.contains(p))),
        "no line with {parts:?} in:\n{output}"
    );
}

#[test]
fn socket() {
    let out = demo("socket");
    has_line(&out, &["AF_INET", "SOCK_STREAM", "IPPROTO_TCP"]);
    has_line(&out, &["bound: false, connected: false"]);
}

#[test]
fn socketpair() {
    let out = demo("socketpair");
    has_line(&out, &["UnixStream::pair()", "\"ping\""]);
    has_line(&out, &["Socket::pair(UNIX, DGRAM)", "\"pong\""]);
}

#[test]
fn getaddrinfo() {
    let out = demo("getaddrinfo");
    has_line(&out, &["getaddrinfo(\"localhost\", 80): [", "127.0.0.1:80"]);
    has_line(&out, &["getaddrinfo(\"::1\", 80): [[::1]:80]"]);
    has_line(&out, &["no-such-host.invalid", "Name or service not known"]);
}

#[test]
fn getaddrinfo_sends_no_dns_query() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("SKIPPED: strace not found");
        return;
    }
    let out = Command::new("strace")
        .args(["-f", "-e", "trace=connect,sendto,sendmmsg,sendmsg"])
        .arg(env!("CARGO_BIN_EXE_api-demo"))
        .arg("getaddrinfo")
        .output()
        .unwrap();
    assert!(out.status.success());
    let trace = String::from_utf8_lossy(&out.stderr);
    assert!(trace.contains("+++ exited with 0 +++"), "{trace}");
    assert!(
        !trace.contains("htons(53)"),
        "a DNS query was sent:\n{trace}"
    );
}

#[test]
fn create_connection() {
    let out = demo("create-connection");
    has_line(
        &out,
        &[
            "create_connection([[::1]:",
            "connected to 127.0.0.1:",
            "refused",
        ],
    );
    has_line(
        &out,
        &[
            "with source_address 127.0.0.2:0",
            "the server saw 127.0.0.2:",
        ],
    );
    has_line(
        &out,
        &["timeout=0.50 s): connected to 127.0.0.1:", "in 0.5"],
    );
    has_line(
        &out,
        &["where nothing listens: ConnectionRefused (os error 111"],
    );
}

#[test]
fn bind() {
    let out = demo("bind");
    has_line(&out, &["getsockname(): 127.0.0.1:"]);
    has_line(&out, &["without SO_REUSEADDR: AddrInUse (os error 98"]);
    has_line(&out, &["with SO_REUSEADDR:", "AddrInUse (os error 98"]);
    has_line(&out, &["binds that port without SO_REUSEADDR: AddrInUse"]);
    has_line(&out, &["binds that port with SO_REUSEADDR:    ok"]);
}

#[test]
fn listen() {
    let out = demo("listen");
    has_line(&out, &["listen( 1), never accept:", "TimedOut"]);
    has_line(&out, &["std TcpListener::bind, never accept:"]);
}

#[test]
fn accept() {
    has_line(&demo("accept"), &["accept() returned address 127.0.0.1:"]);
}

#[test]
fn connect() {
    let out = demo("connect");
    has_line(&out, &["where a server listens: 0"]);
    has_line(
        &out,
        &["connect_ex() where nothing listens: 111 (libc::ECONNREFUSED is 111)"],
    );
    has_line(
        &out,
        &["ConnectionRefused (os error 111: Connection refused)"],
    );
}

#[test]
fn getpeername() {
    let out = demo("getpeername");
    has_line(&out, &["the client's getpeername(): 127.0.0.1:"]);
    has_line(&out, &["never connected: NotConnected (os error 107"]);
}

#[test]
fn recv() {
    let out = demo("recv");
    has_line(&out, &["recv(1024) returned 5 bytes"]);
    has_line(
        &out,
        &["recv(4) returned 4 bytes, the next recv the other 7 \"o world\""],
    );
    has_line(&out, &["peer closed; recv(1024) returned 0 bytes"]);
}

#[test]
fn close() {
    let out = demo("close");
    has_line(&out, &["shutdown(SHUT_WR)", "\"question\"", "\"answer\""]);
    has_line(&out, &["after the peer's close(): read \"goodbye\""]);
    has_line(&out, &["the next failed:"]);
    has_line(&out, &["still alive"]);
}

#[test]
fn send() {
    let out = demo("send");
    has_line(
        &out,
        &["non-blocking send of 16777216 bytes", "the first send took"],
    );
    has_line(&out, &["WouldBlock (os error 11"]);
    has_line(&out, &["16777216 delivered"]);
}

#[test]
fn udp() {
    let out = demo("udp");
    has_line(
        &out,
        &["sendto(b'hello', ...): 5; recvfrom(1024): \"hello\" from 127.0.0.1:"],
    );
    has_line(&out, &["10 bytes read, MSG_TRUNC set: true"]);
    has_line(&out, &["\"next\": the other 90 bytes are gone"]);
}

#[test]
fn setblocking() {
    let out = demo("setblocking");
    has_line(&out, &["accept()", "WouldBlock (os error 11"]);
    has_line(&out, &["recv()", "WouldBlock (os error 11"]);
}

#[test]
fn settimeout() {
    let out = demo("settimeout");
    has_line(
        &out,
        &["set_read_timeout(0.30 s)", "WouldBlock (os error 11"],
    );
    has_line(&out, &["full queue", "TimedOut"]);
    has_line(&out, &["set_read_timeout(0): InvalidInput"]);
}

#[test]
fn fileno() {
    let out = demo("fileno");
    has_line(&out, &["fileno(): ", "-> socket:["]);
    has_line(
        &out,
        &["try_clone() (dup): a new number", "same socket: true"],
    );
    // In a program of its own the freed number is reused at once, and the
    // stale second owner talks to the wrong server.
    has_line(
        &out,
        &["the stale second owner now reports peer", "not the server"],
    );
    let line = out
        .lines()
        .find(|l| l.contains("a second owner of fd"))
        .unwrap();
    let numbers: Vec<&str> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(numbers.first(), numbers.last(), "{line}");
}

#[test]
fn sendfile() {
    let out = demo("sendfile");
    for name in ["sendfile", "io-copy", "loop-1k", "loop-64k"] {
        has_line(&out, &[name, "sent 8388608 bytes", "intact: true"]);
    }
}

#[test]
fn an_unknown_demonstration_is_one_error_line() {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_api-demo"))
        .arg("nosuch")
        .assert()
        .failure()
        .stderr(predicates::str::contains("invalid value 'nosuch'"));
}
