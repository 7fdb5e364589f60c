//! One set of end-to-end tests for every model of `loop-server`: the
//! protocol, bad clients and bad luck, and graceful shutdown. Each
//! behaviour is a function of the model's name; `every_model!` makes one
//! test per behaviour and model (`stalled_half_line::mio`, ...).

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use book_support::observe::comes_to_rest;
use common::{
    BOUND, children, connect, eventually, exchange, fd_count, read_n, rss_kib, server, thread_count,
};
use socket2::SockRef;

macro_rules! every_model {
    ($($behaviour:ident),* $(,)?) => {
        $(
            mod $behaviour {
                #[test] fn poll() { super::$behaviour("poll") }
                #[test] fn mio() { super::$behaviour("mio") }
                #[test] fn mio_cores() { super::$behaviour("mio-cores") }
                #[test] fn tokio() { super::$behaviour("tokio") }
                #[test] fn pool() { super::$behaviour("pool") }
                #[test] fn threading() { super::$behaviour("threading") }
                #[test] fn forking() { super::$behaviour("forking") }
            }
        )*
    };
}

every_model!(
    answers_each_line,
    split_and_coalesced_lines,
    stalled_half_line,
    many_clients_at_once,
    vanished_clients,
    never_reading_client,
    ten_thousand_connect_close,
    shutdown_finishes_in_flight,
    shutdown_under_load,
);

#[test]
fn the_list_of_models_is_the_servers() {
    let names: Vec<&str> = ch6_eventloop::app::Model::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    for model in common::MODELS {
        assert!(names.contains(&model), "{model}");
    }
    assert_eq!(names.len(), common::MODELS.len());
}

/// The protocol: stripped, upper-cased, no newline; a blank line gets no
/// answer and the connection stays open.
fn answers_each_line(model: &str) {
    let s = server(model);
    let mut c = connect(&s);
    exchange(&mut c, "hello", "HELLO");
    exchange(&mut c, "  spaced out \t", "SPACED OUT");
    c.write_all(b"\n   \n").unwrap();
    exchange(&mut c, "still here", "STILL HERE");
}

/// One line a byte at a time, then a thousand lines in one write (粘包).
fn split_and_coalesced_lines(model: &str) {
    let s = server(model);
    let mut c = connect(&s);
    c.set_nodelay(true).unwrap();
    for b in b"one byte at a time\n" {
        c.write_all(&[*b]).unwrap();
    }
    assert_eq!(read_n(&mut c, 18), "ONE BYTE AT A TIME");
    let mut many = String::new();
    let mut expect = String::new();
    for i in 0..1000 {
        many.push_str(&format!("line {i}\n"));
        expect.push_str(&format!("LINE {i}"));
    }
    c.write_all(many.as_bytes()).unwrap();
    assert_eq!(read_n(&mut c, expect.len()), expect);
}

/// A client that sends half a line and goes quiet delays no one, and gets
/// its answer when it finishes the line.
fn stalled_half_line(model: &str) {
    let s = server(model);
    let mut stalled = connect(&s);
    stalled.write_all(b"half a ").unwrap();
    let started = Instant::now();
    for i in 0..20 {
        let mut c = connect(&s);
        exchange(&mut c, &format!("client {i}"), &format!("CLIENT {i}"));
    }
    assert!(started.elapsed() < BOUND);
    stalled.write_all(b"line\n").unwrap();
    assert_eq!(read_n(&mut stalled, 11), "HALF A LINE");
}

/// Fifty clients at once, each with its own conversation.
fn many_clients_at_once(model: &str) {
    let s = server(model);
    let addr = s.socket_addr().unwrap();
    let clients: Vec<_> = (0..50)
        .map(|id| {
            thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_read_timeout(Some(BOUND)).unwrap();
                for i in 0..20 {
                    exchange(&mut c, &format!("c{id} m{i}"), &format!("C{id} M{i}"));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
}

/// Clients that vanish: reset with a line unanswered, or gone mid-line.
/// The server keeps serving and keeps nothing of them.
fn vanished_clients(model: &str) {
    let s = server(model);
    let mut c = connect(&s);
    exchange(&mut c, "warm up", "WARM UP");
    drop(c);
    let pid = s.pid();
    assert!(eventually(BOUND, || fd_count(pid) > 0));
    let fds = fd_count(pid);
    for i in 0..30 {
        let mut c = connect(&s);
        let line: &[u8] = if i % 2 == 0 { b"answer me\n" } else { b"half" };
        c.write_all(line).unwrap();
        // SO_LINGER 0: close sends a reset, as a crashed client's kernel does.
        SockRef::from(&c).set_linger(Some(Duration::ZERO)).unwrap();
    }
    let mut c = connect(&s);
    exchange(&mut c, "still serving", "STILL SERVING");
    drop(c);
    assert!(
        eventually(BOUND, || fd_count(pid) <= fds),
        "descriptors: {} now, {fds} before",
        fd_count(pid)
    );
}

/// A client that sends and sends and never reads its answers: the server
/// stops reading from it (its buffers fill, TCP makes the client wait),
/// so the client's writes stall and the server's memory stays bounded.
fn never_reading_client(model: &str) {
    let s = server(model);
    let pid = s.pid();
    let mut probe = connect(&s);
    exchange(&mut probe, "before", "BEFORE");
    let before = rss_kib(pid);
    let mut hog = connect(&s);
    hog.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut chunk = Vec::new();
    while chunk.len() < 1 << 20 {
        chunk.extend_from_slice(&[b'x'; 1023]);
        chunk.push(b'\n');
    }
    let limit: usize = 256 << 20;
    let mut sent = 0;
    let stalled = loop {
        match hog.write(&chunk) {
            Ok(n) => sent += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break true;
            }
            Err(e) => panic!("write failed: {e}"),
        }
        if sent >= limit {
            break false;
        }
    };
    assert!(
        stalled,
        "the server took {sent} bytes from a client that never reads"
    );
    let after = rss_kib(pid);
    assert!(
        after < before + 32 * 1024,
        "server memory grew from {before} KiB to {after} KiB after {sent} bytes"
    );
    // Others are still served.
    exchange(&mut probe, "after", "AFTER");
    let mut c = connect(&s);
    exchange(&mut c, "newcomer", "NEWCOMER");
}

/// 10,000 connections opened and closed (plainly, with a reset, or in the
/// middle of a line): afterwards the server holds as many descriptors,
/// threads and children as before.
fn ten_thousand_connect_close(model: &str) {
    let s = server(model);
    let pid = s.pid();
    let addr = s.socket_addr().unwrap();
    let mut c = connect(&s);
    exchange(&mut c, "warm up", "WARM UP");
    drop(c);
    // The baseline is taken at rest: a model may start threads after it
    // says it is listening (mio-cores starts its loops then).
    assert!(eventually(BOUND, || children(pid).is_empty()));
    assert!(comes_to_rest(pid, BOUND));
    let (fds, threads) = (fd_count(pid), thread_count(pid));
    for i in 0..10_000 {
        let mut c = TcpStream::connect(addr).unwrap();
        match i % 3 {
            0 => {}
            1 => SockRef::from(&c).set_linger(Some(Duration::ZERO)).unwrap(),
            _ => c.write_all(b"half").unwrap(),
        }
    }
    let mut c = connect(&s);
    exchange(&mut c, "after", "AFTER");
    drop(c);
    let settled = eventually(Duration::from_secs(60), || {
        fd_count(pid) <= fds && thread_count(pid) <= threads && children(pid).is_empty()
    });
    assert!(
        settled,
        "before: {fds} fds, {threads} threads; after: {} fds, {} threads, {} children",
        fd_count(pid),
        thread_count(pid),
        children(pid).len()
    );
}

/// SIGTERM: a line already sent is answered, every connection is closed,
/// and the server exits with success.
fn shutdown_finishes_in_flight(model: &str) {
    let s = server(model);
    let mut idle = connect(&s);
    exchange(&mut idle, "idle", "IDLE");
    let mut busy = connect(&s);
    exchange(&mut busy, "first", "FIRST");
    let mut half = connect(&s);
    exchange(&mut half, "ready", "READY");
    half.write_all(b"never finished").unwrap();
    busy.write_all(b"in flight\n").unwrap();
    s.terminate().unwrap();
    assert_eq!(read_n(&mut busy, 9), "IN FLIGHT");
    for c in [&mut busy, &mut idle, &mut half] {
        let mut rest = Vec::new();
        match c.read_to_end(&mut rest) {
            Ok(_) => assert!(rest.is_empty(), "unexpected {rest:?}"),
            Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
        }
    }
    let status = s.wait_for_exit(BOUND).expect("the server exits");
    assert!(status.success(), "{status}; stderr: {}", s.final_stderr());
    assert!(s.final_stderr().contains("stopped"));
}

/// SIGTERM while twenty clients do round trips as fast as they can: every
/// answer that comes is right, every client is let go (EOF or a reset,
/// never left hanging), and the server exits with success.
fn shutdown_under_load(model: &str) {
    let s = server(model);
    let addr = s.socket_addr().unwrap();
    let (warm, warmed) = mpsc::channel();
    let clients: Vec<_> = (0..20)
        .map(|id| {
            let warm = warm.clone();
            thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_read_timeout(Some(BOUND)).unwrap();
                let mut done = 0;
                loop {
                    let message = format!("client {id} message {done}");
                    let sent = c.write_all(format!("{message}\n").as_bytes());
                    let mut got = vec![0; message.len()];
                    match sent.and_then(|()| c.read_exact(&mut got)) {
                        Ok(()) => assert_eq!(got, message.to_uppercase().as_bytes()),
                        Err(e) => {
                            let ended = matches!(
                                e.kind(),
                                ErrorKind::UnexpectedEof
                                    | ErrorKind::ConnectionReset
                                    | ErrorKind::BrokenPipe
                            );
                            assert!(ended, "client {id} after {done}: {e}");
                            return done;
                        }
                    }
                    done += 1;
                    if done == 5 {
                        warm.send(()).unwrap();
                    }
                }
            })
        })
        .collect();
    for _ in 0..20 {
        warmed.recv_timeout(BOUND).unwrap();
    }
    s.terminate().unwrap();
    for c in clients {
        assert!(c.join().unwrap() >= 5);
    }
    let status = s.wait_for_exit(BOUND).expect("the server exits");
    assert!(status.success(), "{status}; stderr: {}", s.final_stderr());
}
