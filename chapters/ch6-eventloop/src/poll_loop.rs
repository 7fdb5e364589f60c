//! Readiness from first principles: non-blocking sockets and `poll(2)`.
//!
//! One thread, no library but libc. Every turn of the loop builds the list
//! of descriptors and what to wait for on each (readable, writable), asks
//! the kernel which are ready, and does only what cannot block. This is the
//! loop Beej's guide builds with `poll`; its cost is in the list: the kernel
//! looks at every descriptor on every call, so a turn costs O(connections).

use std::io::{self, ErrorKind};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::time::Instant;

use crate::conn::{Connection, Pumped, READ_CHUNK};
use crate::listen::{Backoff, GRACE, earliest};

fn wait_for(fd: i32, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

// ANCHOR: poll_loop
/// Serves until `stop` becomes readable, then finishes what is in flight.
pub fn serve(listener: TcpListener, stop: UnixStream) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = Some(listener);
    let mut conns: Vec<(TcpStream, Connection)> = Vec::new();
    let mut scratch = vec![0; READ_CHUNK];
    let mut deadline = None;
    let mut backoff = Backoff::default();
    loop {
        // 1. What to wait for: a negative fd is skipped by poll(2). The
        // listener sits out a pause after running out of descriptors.
        let paused = backoff.until();
        let mut fds = vec![
            wait_for(
                if deadline.is_none() {
                    stop.as_raw_fd()
                } else {
                    -1
                },
                libc::POLLIN,
            ),
            wait_for(
                match &listener {
                    Some(l) if paused.is_none() => l.as_raw_fd(),
                    _ => -1,
                },
                libc::POLLIN,
            ),
        ];
        for (stream, conn) in &conns {
            let mut events = 0;
            if conn.wants_read() {
                events |= libc::POLLIN;
            }
            if conn.wants_write() {
                events |= libc::POLLOUT;
            }
            fds.push(wait_for(stream.as_raw_fd(), events));
        }
        // 2. Wait: forever, or until a pause or the grace period of a
        // shutdown ends (rounded up: poll counts whole milliseconds).
        let timeout = earliest(deadline, paused).map_or(-1, |d: Instant| {
            d.saturating_duration_since(Instant::now())
                .as_micros()
                .div_ceil(1000) as i32
        });
        // SAFETY: `fds` is a live array of `fds.len()` pollfd structs.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if ready < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        // 3. Act on what is ready, without blocking. Connections first: the
        // ones accepted below have no entry in `fds` yet.
        for i in (0..conns.len()).rev() {
            if fds[i + 2].revents == 0 {
                continue;
            }
            let (stream, conn) = &mut conns[i];
            if !matches!(conn.pump(stream, &mut scratch), Ok(Pumped::Open)) {
                conns.swap_remove(i); // done, or vanished: closing is dropping
            }
        }
        if fds[1].revents != 0
            && let Some(l) = &listener
        {
            accept_all(l, &mut conns, &mut backoff)?;
        }
        if fds[0].revents != 0 && deadline.is_none() {
            // Ctrl-C or SIGTERM: stop accepting, answer what has arrived.
            listener = None;
            eprintln!("shutting down: {} connection(s) to finish", conns.len());
            conns.retain_mut(|(s, c)| matches!(c.finish(s, &mut scratch), Ok(Pumped::Open)));
            deadline = Some(Instant::now() + GRACE);
        }
        if let Some(d) = deadline
            && (conns.is_empty() || Instant::now() >= d)
        {
            eprintln!("stopped");
            return Ok(());
        }
    }
}
// ANCHOR_END: poll_loop

/// Accepts every connection waiting, each made non-blocking. Out of
/// descriptors, it stops, and `backoff` keeps the listener out of the wait
/// for a moment: it would be readable again at once, and the loop would
/// spin, while the connections it has go on being served.
fn accept_all(
    listener: &TcpListener,
    conns: &mut Vec<(TcpStream, Connection)>,
    backoff: &mut Backoff,
) -> io::Result<()> {
    let log = |line: &str| eprintln!("{line}");
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                backoff.accepted(log);
                stream.set_nonblocking(true)?;
                conns.push((stream, Connection::new()));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if is_transient(&e) => {}
            Err(e) => {
                // Out of descriptors (EMFILE) pauses; anything else is
                // logged, and the next turn tries again.
                backoff.failed(&e, log);
                return Ok(());
            }
        }
    }
}

/// Errors of one connection that `accept` reports: try the next one.
pub(crate) fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    )
}
