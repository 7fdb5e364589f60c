//! Ctrl-C and SIGTERM as something a loop can wait on: the self-pipe trick.
//!
//! A signal handler may do almost nothing (only async-signal-safe calls),
//! and it interrupts whatever the thread was doing. So the handler writes
//! one byte into a socket pair, and the program reads the other end where it
//! already waits for sockets: in the `poll(2)` set, as a `mio` source, or in
//! a thread. The signal becomes one more readable descriptor.

use std::io;
use std::os::fd::IntoRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, Ordering};

/// The write end of the pair, for the handler.
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_signal: libc::c_int) {
    let fd = WAKE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: write(2) is async-signal-safe; the descriptor is never
        // closed (leaked on purpose below); the buffer is a live local byte.
        unsafe {
            libc::write(fd, (&raw const byte).cast(), 1);
        }
    }
}

// ANCHOR: signal_pipe
/// Installs handlers for SIGTERM and SIGINT and returns the end of the pair
/// that becomes readable when one of them arrives. Non-blocking. Call once.
pub fn signal_pipe() -> io::Result<UnixStream> {
    let (read_end, write_end) = UnixStream::pair()?;
    read_end.set_nonblocking(true)?;
    write_end.set_nonblocking(true)?; // a full pair must not block a handler
    WAKE_FD.store(write_end.into_raw_fd(), Ordering::Relaxed);
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction is a valid start; the handler only
        // calls write(2); SA_RESTART keeps blocking calls from failing with
        // EINTR in other threads.
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
    Ok(read_end)
}
// ANCHOR_END: signal_pipe
