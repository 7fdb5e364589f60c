//! One event loop per core: the model nginx uses.
//!
//! The `mio` loop runs on one thread, so it can use one core however many
//! the machine has. The way out that keeps the loop's simplicity is to run
//! it several times: one thread per core, each running the same
//! [`MioLoop`], whole and unchanged, on a listening socket of its own. `SO_REUSEPORT` lets all of those sockets bind one port, and the
//! kernel spreads new connections over them by a hash of the client's
//! address and port. A connection then stays with the loop that accepted it
//! for its whole life: the loops share no connection, no lock and no queue.
//! All they share is the signal to stop (a duplicate of the signal pipe's
//! descriptor each, so each loop's epoll hears it).

use std::io;
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::thread;

use crate::mio_loop::MioLoop;

// ANCHOR: serve
/// Sets up one `mio` loop for each of `listeners` (all bound to the same
/// port with `SO_REUSEPORT`), each with its own duplicate of `stop`. When
/// this returns, every loop's epoll exists and is registered: the server
/// can say it is listening.
pub fn set_up(listeners: Vec<TcpListener>, stop: UnixStream) -> io::Result<Vec<MioLoop>> {
    listeners
        .into_iter()
        .map(|listener| MioLoop::new(listener, stop.try_clone()?)) // dup(2)
        .collect()
}

/// Runs each loop on a thread of its own until the stop signal comes;
/// then every loop finishes what it has in flight.
///
/// A loop that fails reports why and stops; its listening socket closes
/// with it, so the kernel sends its share of newcomers to the others. The
/// first such error is returned once every loop has stopped.
pub fn serve(loops: Vec<MioLoop>) -> io::Result<()> {
    thread::scope(|scope| {
        let mut running = Vec::new();
        for (i, mio_loop) in loops.into_iter().enumerate() {
            let name = format!("loop {i}");
            let spawned =
                thread::Builder::new()
                    .name(name.clone())
                    .spawn_scoped(scope, move || {
                        let served = mio_loop.run();
                        if let Err(e) = &served {
                            eprintln!("{name} failed: {e}");
                        }
                        served
                    })?;
            running.push(spawned);
        }
        let mut first_error = None;
        for handle in running {
            let served = handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("a loop panicked")));
            if let Err(e) = served {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    })
}
// ANCHOR_END: serve
