//! Stopping `serve_forever` from outside: promptly, and without deadlock.
//!
//! Python's `serve_forever` wakes up every `poll_interval` (half a second)
//! to look at a flag that `shutdown()` sets, and `shutdown()` then waits
//! until the loop has seen it. So a shutdown takes up to half a second, and
//! calling `shutdown()` from the thread that runs `serve_forever` (from a
//! handler of a synchronous server) waits for itself forever.
//!
//! Here the loop waits with `poll(2)` on two descriptors: the listening
//! socket and the read end of a *wake-up pair* (the self-pipe trick, made
//! with a connected pair of Unix sockets). [`ShutdownHandle::shutdown`]
//! writes one byte to the other end; the loop wakes at once, whatever its
//! poll interval. Writing a byte is also all a signal handler may safely do,
//! so `SIGTERM` and `SIGINT` stop the server the same way ([`stop_on_signals`]).
//!
//! `shutdown` then waits until `serve_forever` has returned, but it never
//! waits for itself, and it never waits when no loop is running.
//!
//! A loop that stops accepting is half of a graceful stop: handlers blocked
//! reading a connection that stays open would keep the server from closing.
//! So the server keeps a second descriptor of every open connection in a
//! [`Connections`] registry, and when it stops it calls
//! `shutdown(fd, SHUT_RD)` on each: a blocked read returns end-of-file, after
//! the bytes already received. A handler answers the requests that are in
//! flight, reads EOF, and ends.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};

use socket2::SockRef;

use crate::request::StopHandle;

/// Locks a mutex, also after a panic elsewhere poisoned it: every value
/// guarded here stays consistent at each unlock.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which thread runs `serve_forever`, if any.
#[derive(Debug, Default)]
struct Running {
    thread: Option<ThreadId>,
}

/// What the server and its shutdown handles share.
#[derive(Debug)]
pub(crate) struct Shared {
    wake_read: UnixStream,
    wake_write: UnixStream,
    running: Mutex<Running>,
    stopped: Condvar,
    connections: Arc<Connections>,
}

impl Shared {
    pub(crate) fn new() -> io::Result<Arc<Shared>> {
        let (wake_read, wake_write) = UnixStream::pair()?;
        wake_read.set_nonblocking(true)?;
        wake_write.set_nonblocking(true)?;
        Ok(Arc::new(Shared {
            wake_read,
            wake_write,
            running: Mutex::new(Running::default()),
            stopped: Condvar::new(),
            connections: Arc::default(),
        }))
    }

    /// The descriptor `serve_forever` polls beside the listening socket.
    pub(crate) fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake_read.as_fd()
    }

    /// Empties the wake-up pair; `true` if a shutdown was asked for.
    pub(crate) fn take_request(&self) -> bool {
        let mut asked = false;
        let mut buf = [0u8; 64];
        loop {
            match (&self.wake_read).read(&mut buf) {
                Ok(0) => return asked,
                Ok(_) => asked = true,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return asked,
            }
        }
    }

    pub(crate) fn connections(&self) -> &Arc<Connections> {
        &self.connections
    }

    /// Marks the loop as running on this thread. The guard's drop marks it
    /// stopped and wakes the waiting `shutdown` calls, also on an early
    /// return with an error.
    pub(crate) fn enter(self: &Arc<Self>) -> RunningGuard {
        lock(&self.running).thread = Some(thread::current().id());
        RunningGuard(Arc::clone(self))
    }
}

/// See [`Shared::enter`].
#[derive(Debug)]
pub(crate) struct RunningGuard(Arc<Shared>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        lock(&self.0.running).thread = None;
        self.0.stopped.notify_all();
    }
}

// ANCHOR: shutdown_handle
/// Python's `server.shutdown()`, as a value another thread can hold.
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    shared: Arc<Shared>,
}

impl ShutdownHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        ShutdownHandle { shared }
    }

    /// Asks `serve_forever` to stop, and waits until it has.
    ///
    /// - The loop wakes at once: no waiting for a poll interval.
    /// - Connections stop reading, so handlers answer what they have and end.
    /// - Called from the thread that runs `serve_forever` (a handler of a
    ///   synchronous server), it asks and returns: waiting would be forever.
    /// - Called when no loop runs, it returns at once; the next
    ///   `serve_forever` returns as soon as it starts.
    pub fn shutdown(&self) {
        self.request();
        self.shared.connections.stop_reading();
        let me = thread::current().id();
        let mut running = lock(&self.shared.running);
        while running.thread.is_some_and(|t| t != me) {
            running = self
                .shared
                .stopped
                .wait(running)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Asks the loop to stop without waiting for it.
    pub fn request(&self) {
        // A full pair means a request is already pending: nothing is lost.
        let _ = (&self.shared.wake_write).write(&[1]);
    }
}
// ANCHOR_END: shutdown_handle

// ANCHOR: signals
/// The write end of the wake-up pair, for the signal handler.
static SIGNAL_WAKE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_signal: libc::c_int) {
    let fd = SIGNAL_WAKE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; the descriptor stays open
        // for the life of the process (it was leaked on purpose), and the
        // buffer is a live local byte.
        unsafe {
            libc::write(fd, (&raw const byte).cast(), 1);
        }
    }
}

/// Makes SIGTERM and SIGINT (Ctrl-C) stop `serve_forever` as
/// [`ShutdownHandle::request`] does. For a program's `main`: it replaces
/// the process's handlers for those signals.
pub fn stop_on_signals(handle: &ShutdownHandle) -> io::Result<()> {
    // A descriptor of its own, never closed: a signal may come at any time.
    let fd: OwnedFd = handle.shared.wake_write.as_fd().try_clone_to_owned()?;
    SIGNAL_WAKE_FD.store(fd.into_raw_fd(), Ordering::Relaxed);
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction is a valid start; the handler only
        // calls write(2), which is async-signal-safe; SA_RESTART keeps other
        // threads' blocking calls from failing with EINTR.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            if libc::sigaction(signal, &raw const action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}
// ANCHOR_END: signals

// ANCHOR: connections
/// The open connections, each held by a handle on its socket. Holding it
/// keeps the descriptor open, so stopping a connection never touches a
/// descriptor number that was closed and reused for something else; and
/// sharing it costs no descriptor of its own.
#[derive(Default)]
pub struct Connections {
    open: Mutex<(u64, HashMap<u64, StopHandle>)>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections")
            .field("open", &self.len())
            .finish()
    }
}

impl Connections {
    /// Records a connection until the returned [`Ticket`] is dropped.
    pub(crate) fn register(self: &Arc<Self>, socket: StopHandle) -> Ticket {
        let mut open = lock(&self.open);
        open.0 += 1;
        let id = open.0;
        open.1.insert(id, socket);
        Ticket {
            id,
            connections: Arc::clone(self),
        }
    }

    /// Stops every open connection reading: blocked reads return EOF once
    /// the bytes already received are read. Writing still works.
    pub fn stop_reading(&self) {
        for socket in lock(&self.open).1.values() {
            let _ = SockRef::from(&socket.as_fd()).shutdown(Shutdown::Read);
        }
    }

    /// How many connections are open.
    pub fn len(&self) -> usize {
        lock(&self.open).1.len()
    }

    /// No connection is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A connection's place in [`Connections`]; dropping it forgets the
/// connection (and closes it, if nothing else holds it any more).
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    connections: Arc<Connections>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        lock(&self.connections.open).1.remove(&self.id);
    }
}
// ANCHOR_END: connections

/// The raw descriptor, for `poll(2)`.
pub(crate) fn raw(fd: BorrowedFd<'_>) -> i32 {
    fd.as_raw_fd()
}
