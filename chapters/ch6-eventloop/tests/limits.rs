//! Limits a crowd of clients meets: a server that runs out of descriptors
//! pauses its accepts without spinning and serves on, and the forking
//! model's cap on children at once.

use crate::common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use book_support::ServerProcess;
use book_support::observe::{cpu_ticks_during, silent_for};
use common::{BOUND, children, connect, eventually, exchange, read_n, server};

/// How long a queued client waits, unanswered, while the server is out of
/// descriptors: long enough for a spinning loop to use a whole core.
const HALF_A_SECOND: Duration = Duration::from_millis(500);

/// What the operating system says for `EMFILE`, in every model's log.
const EMFILE: &str = "Too many open files";

/// `loop-server --model MODEL`, allowed at most `fds` descriptors.
fn limited_server(model: &str, fds: u64) -> ServerProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_loop-server"));
    command.args(["--model", model, "--port", "0"]);
    if model == "mio-cores" {
        command.args(["--loops", "2"]); // two, whatever the machine's cores
    }
    // SAFETY: setrlimit is async-signal-safe; nothing is allocated.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: fds,
                rlim_max: fds,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    ServerProcess::spawn(command).unwrap()
}

/// Forty idle clients against a server allowed 32 descriptors: it runs
/// out, and the last clients wait in the listen queue. While it is out it
/// does not spin and logs the episode once; when the idle clients leave, it
/// accepts again by itself (also the edge-triggered loop, which gets no new
/// event for the connections already queued) and serves the client that
/// waited.
///
/// Chapter 5's models run chapter 5's accept loop, which has tests of its
/// own; the forking one never runs out here (the parent closes its copy of
/// each connection, and it has at most 40 children).
fn out_of_descriptors(model: &str) {
    let server = limited_server(model, 32);
    let idle: Vec<TcpStream> = (0..40).map(|_| connect(&server)).collect();
    assert!(
        eventually(BOUND, || server.stderr().contains(EMFILE)),
        "{}",
        server.stderr()
    );
    // This one queues behind the idle clients the server could not accept.
    let mut waiting = connect(&server);
    waiting.write_all(b"waiting\n").unwrap();
    // While it is out, it does not spin: for as long as the queued client
    // waits, unanswered, for half a second, the server uses at most a fifth
    // of a core (a spinning loop uses all of it).
    let used = cpu_ticks_during(server.pid(), || {
        assert!(silent_for(&waiting, HALF_A_SECOND), "answered while out");
    })
    .unwrap();
    assert!(
        used <= 10,
        "{used} ticks of CPU in 50: the accept loop spins; {}",
        server.stderr()
    );
    // One line for the episode, not one per try: no client has left, so no
    // accept has worked since. (One per loop: each of mio-cores' two loops
    // may run out on its own.)
    let stderr = server.stderr();
    let loops = if model == "mio-cores" { 2 } else { 1 };
    let episodes = stderr.matches(EMFILE).count();
    assert!((1..=loops).contains(&episodes), "{stderr}");
    assert!(
        stderr.contains("accept failed: ") && stderr.contains("pausing accepts"),
        "{stderr}"
    );
    // The idle clients leave; the server accepts again by itself and
    // answers the client that waited, with no new connection to wake it.
    drop(idle);
    assert_eq!(read_n(&mut waiting, 7), "WAITING");
    assert!(
        eventually(BOUND, || server.stderr().contains("accepting again")),
        "{}",
        server.stderr()
    );
    exchange(&mut connect(&server), "newcomer", "NEWCOMER");
}

macro_rules! every_model_that_accepts_on_one_thread {
    ($($behaviour:ident),* $(,)?) => {
        $(
            mod $behaviour {
                #[test] fn poll() { super::$behaviour("poll") }
                #[test] fn mio() { super::$behaviour("mio") }
                // A mio loop on each core, each pausing on its own.
                #[test] fn mio_cores() { super::$behaviour("mio-cores") }
                #[test] fn tokio() { super::$behaviour("tokio") }
                #[test] fn pool() { super::$behaviour("pool") }
                // Chapter 5's loop, which the threading model runs.
                #[test] fn threading() { super::$behaviour("threading") }
            }
        )*
    };
}

every_model_that_accepts_on_one_thread!(out_of_descriptors);

/// Chapter 5's cap, Python's default: at most 40 children at once. The
/// 41st client is accepted by the kernel and waits in the listen queue,
/// unanswered, until one of the 40 leaves; then it is served, and so are
/// the others.
#[test]
fn forking_serves_forty_clients_at_once_and_the_next_when_one_leaves() {
    let s = server("forking");
    let pid = s.pid();
    let mut first: Vec<TcpStream> = (0..40)
        .map(|i| {
            let mut c = connect(&s);
            exchange(&mut c, &format!("client {i}"), &format!("CLIENT {i}"));
            c
        })
        .collect();
    let mut next = connect(&s);
    next.write_all(b"next\n").unwrap();
    // As chapter 5 shows a client waiting behind a synchronous server: no
    // answer within 300 ms (a 41st child answers in well under that).
    next.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0; 4];
    let err = next.read_exact(&mut buf).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err}"
    );
    assert_eq!(children(pid).len(), 40);
    // One leaves; the next is served, and the other 39 still are.
    drop(first.pop());
    next.set_read_timeout(Some(BOUND)).unwrap();
    assert_eq!(read_n(&mut next, 4), "NEXT");
    for (i, c) in first.iter_mut().enumerate() {
        exchange(c, &format!("again {i}"), &format!("AGAIN {i}"));
    }
}
