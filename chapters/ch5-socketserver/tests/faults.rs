//! Bad clients and bad luck: each fault the chapter shows, against the real
//! `upper-server` process, looked at from outside (its sockets, /proc).

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use book_support::check::again_if_interrupted;
use common::{BOUND, child_count, connect, eventually, exchange, fd_count, server, thread_count};

/// A client that has sent part of a line and goes quiet: the handler that
/// took it is blocked in a read.
fn slow_client(server: &book_support::ServerProcess) -> TcpStream {
    let mut c = connect(server);
    c.write_all(b"h").unwrap();
    c.write_all(b"e").unwrap();
    c
}

fn others_are_served_while_a_client_dawdles(model: &str) {
    let s = server(&["--model", model]);
    let _slow: Vec<TcpStream> = (0..3).map(|_| slow_client(&s)).collect();
    let t = Instant::now();
    for i in 0..20 {
        let mut c = connect(&s);
        exchange(&mut c, &format!("client {i}"), &format!("CLIENT {i}"));
    }
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn a_slow_client_does_not_delay_others_with_threads() {
    others_are_served_while_a_client_dawdles("threading");
}

#[test]
fn a_slow_client_does_not_delay_others_with_processes() {
    others_are_served_while_a_client_dawdles("forking");
}

#[test]
fn a_slow_client_does_delay_others_in_a_synchronous_server() {
    let s = server(&["--model", "sync"]);
    let slow = slow_client(&s);
    let mut other = connect(&s);
    other
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    other.write_all(b"waiting\n").unwrap();
    let mut buf = [0; 7];
    let err = other.read_exact(&mut buf).unwrap_err();
    assert!(matches!(
        err.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    // Once the slow client finishes, the other is served.
    drop(slow);
    other.set_read_timeout(Some(BOUND)).unwrap();
    other.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"WAITING");
}

/// The server's descriptors, threads and children, once it is idle.
fn settles_back_to(pid: u32, fds: usize, threads: usize) -> bool {
    eventually(BOUND, || {
        fd_count(pid) == fds && thread_count(pid) == threads && child_count(pid) == 0
    })
}

fn connect_close_cycles_leak_nothing(model: &str, cycles: usize) {
    let s = server(&["--model", model]);
    let pid = s.pid();
    let addr = s.socket_addr().unwrap();
    // Before any client: the listening socket, the wake-up pair, stdio.
    let (fds, threads) = (fd_count(pid), thread_count(pid));
    assert_eq!(threads, 1);
    for _ in 0..cycles {
        drop(TcpStream::connect(addr).unwrap());
    }
    exchange(&mut connect(&s), "still here", "STILL HERE");
    assert!(
        settles_back_to(pid, fds, threads),
        "after {cycles} cycles: {} fds (was {fds}), {} threads (was {threads}), {} children",
        fd_count(pid),
        thread_count(pid),
        child_count(pid)
    );
}

/// An open connection costs the threading server one descriptor: `rfile`,
/// `wfile` and the list of connections to stop all share the socket, as
/// Python's `makefile` does. (With a `dup` each it cost three, and 10,000
/// clients hit a 20,000-descriptor limit.)
#[test]
fn an_open_connection_costs_the_threading_server_one_descriptor() {
    let s = server(&["--model", "threading"]);
    let pid = s.pid();
    let fds = fd_count(pid);
    let mut clients: Vec<TcpStream> = (0..20).map(|_| connect(&s)).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        // Answered: the connection was accepted and its handler is running.
        exchange(c, &format!("client {i}"), &format!("CLIENT {i}"));
    }
    assert_eq!(
        fd_count(pid),
        fds + clients.len(),
        "descriptors with {} clients open (idle: {fds})",
        clients.len()
    );
}

#[test]
fn ten_thousand_connect_close_cycles_leak_nothing_with_threads() {
    connect_close_cycles_leak_nothing("threading", 10_000);
}

#[test]
fn ten_thousand_connect_close_cycles_leak_nothing_with_processes() {
    connect_close_cycles_leak_nothing("forking", 10_000);
}

#[test]
fn ten_thousand_connect_close_cycles_leak_nothing_when_synchronous() {
    connect_close_cycles_leak_nothing("sync", 10_000);
}

/// Clients doing round trips without pause, until the server goes.
fn shutdown_under_load(model: &str) {
    let s = server(&["--model", model, "--max-children", "100"]);
    let addr = s.socket_addr().unwrap();
    let (warm, warmed) = mpsc::channel();
    let clients: Vec<_> = (0..40)
        .map(|id| {
            let warm = warm.clone();
            thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let message = format!("client {id}");
                let expect = message.to_uppercase();
                let mut answered = 0;
                loop {
                    if answered == 5 {
                        warm.send(()).unwrap();
                    }
                    if c.write_all(format!("{message}\n").as_bytes()).is_err() {
                        return answered; // the server is gone
                    }
                    let mut got = vec![0; expect.len()];
                    match c.read_exact(&mut got) {
                        Ok(()) => {
                            assert_eq!(String::from_utf8_lossy(&got), expect, "a wrong answer");
                            answered += 1;
                        }
                        // EOF or a reset: the connection ended cleanly.
                        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return answered,
                        Err(e) if e.kind() == ErrorKind::ConnectionReset => return answered,
                        Err(e) => panic!("client {id}: {e} (no answer, no end)"),
                    }
                }
            })
        })
        .collect();
    for _ in 0..40 {
        warmed.recv_timeout(BOUND).unwrap();
    }
    let t = Instant::now();
    s.terminate().unwrap();
    let status = s.wait_for_exit(BOUND).expect("the server exits");
    let took = t.elapsed();
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(1), "shutdown took {took:?}");
    for c in clients {
        assert!(c.join().unwrap() >= 5);
    }
    let stderr = s.final_stderr();
    assert!(stderr.contains("stopped"), "{stderr}");
}

#[test]
fn shutdown_under_load_ends_within_a_second_with_threads() {
    shutdown_under_load("threading");
}

#[test]
fn shutdown_under_load_ends_within_a_second_with_processes() {
    shutdown_under_load("forking");
}

fn panic_is_reported_and_the_server_serves_on(model: &str) {
    let s = server(&["--model", model, "--panic-on", "boom"]);
    let mut c = connect(&s);
    c.write_all(b"boom\n").unwrap();
    assert!(common::read_to_end(&mut c).is_empty(), "no answer");
    for i in 0..3 {
        exchange(
            &mut connect(&s),
            &format!("after {i}"),
            &format!("AFTER {i}"),
        );
    }
    assert!(eventually(BOUND, || s
        .stderr()
        .contains("the handler panicked: asked to panic by 127.0.0.1:")));
}

#[test]
fn a_panic_in_a_handler_is_reported_and_the_threading_server_serves_on() {
    panic_is_reported_and_the_server_serves_on("threading");
}

#[test]
fn a_panic_in_a_handler_is_reported_and_the_forking_server_serves_on() {
    panic_is_reported_and_the_server_serves_on("forking");
}

#[test]
fn a_panic_in_a_handler_is_reported_and_the_sync_server_serves_on() {
    panic_is_reported_and_the_server_serves_on("sync");
}

#[test]
fn an_oversized_datagram_is_dropped_and_reported_not_truncated() {
    let s = server(&["--udp"]);
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.connect(s.socket_addr().unwrap()).unwrap();
    client.set_read_timeout(Some(BOUND)).unwrap();
    client.send(&[b'a'; 9000]).unwrap();
    client.send(b"small").unwrap();
    // Loopback keeps the order: the first answer is to "small", so the big
    // one got none (Python's server would answer 8192 upper-cased bytes).
    let mut buf = vec![0; 65536];
    let n = again_if_interrupted(|| client.recv(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"SMALL");
    let report = format!(
        "dropped a datagram of 8193 bytes or more from {}: the limit is 8192",
        client.local_addr().unwrap()
    );
    assert!(eventually(BOUND, || s.stderr().contains(&report)));
}

#[test]
fn a_line_longer_than_the_limit_is_refused() {
    let s = server(&[]);
    let mut c = connect(&s);
    let long = vec![b'x'; 64 * 1024 + 10];
    // The server may close while we still write: either way, no answer.
    let _ = c.write_all(&long);
    assert!(common::read_to_end(&mut c).is_empty());
    assert!(eventually(BOUND, || s
        .stderr()
        .contains("a message longer than 65536 bytes")));
    exchange(&mut connect(&s), "next", "NEXT");
}

#[test]
fn python_udp_server_truncates_an_oversized_datagram_silently() {
    let Some(python) = common::python3() else {
        return;
    };
    let script = r#"
import socketserver, threading, socket
class H(socketserver.DatagramRequestHandler):
    def handle(self): self.wfile.write(self.rfile.read().upper())
srv = socketserver.UDPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10)
s.sendto(b"a" * 9000, srv.server_address)
print(len(s.recv(65536)))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "8192");
}
