//! The server: one thread per client, either protocol.
//!
//! Each connection gets a thread of its own, so a slow or stalled client
//! never holds up the others; the thread and everything it opened (the
//! socket, the file) are released when it returns, however it returns.

use std::io;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use book_support::accept::AcceptPause;

use crate::Protocol;
use crate::article_server::serve_article_client;
use crate::framed_server::serve_framed_client;
use crate::state::{Server, peer};

/// A client that sends nothing for this long is disconnected, so that idle
/// connections cannot pin threads forever.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// A client that takes nothing for this long is disconnected.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

// ANCHOR: serve_forever
/// Accepts clients forever, each on a thread of its own, at most
/// [`Server::max_clients`] at once.
pub fn serve_forever(listener: TcpListener, server: Arc<Server>) -> io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    let mut pause = AcceptPause::default();
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            // A client that vanished between SYN and accept: retry at once.
            // Out of descriptors: pause, and say so once (see `accept`).
            Err(e) => {
                pause.failed(&e, |line| eprintln!("{line}"));
                continue;
            }
        };
        pause.accepted(|line| eprintln!("{line}"));
        let who = peer(&stream);
        if active.fetch_add(1, Ordering::SeqCst) >= server.max_clients {
            active.fetch_sub(1, Ordering::SeqCst);
            server.log(&who, "turned away: too many clients at once");
            continue; // dropping the stream closes it
        }
        let (server, active) = (Arc::clone(&server), Arc::clone(&active));
        thread::spawn(move || {
            server.log(&who, "connected");
            let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
            let _ = stream.set_write_timeout(Some(STALL_TIMEOUT));
            let result = match server.protocol {
                Protocol::Article => serve_article_client(stream, &server),
                Protocol::Framed => serve_framed_client(stream, &server),
            };
            // The slot is free before the log says so.
            active.fetch_sub(1, Ordering::SeqCst);
            match result {
                Ok(()) => server.log(&who, "left"),
                Err(e) => server.log(&who, &format!("dropped: {e}")),
            }
        });
    }
}
// ANCHOR_END: serve_forever

// ANCHOR: ignore_file_size_signal
/// A process over its file size limit (`ulimit -f`) gets `SIGXFSZ`, which
/// kills it by default, in the middle of an upload. Ignored, the write that
/// crosses the limit fails with `EFBIG` instead, and the upload ends with
/// an error reply like any other failure to store.
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal to SIG_IGN installs no handler of ours.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
// ANCHOR_END: ignore_file_size_signal
