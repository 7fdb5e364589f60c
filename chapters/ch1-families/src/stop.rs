//! Stopping a Unix socket server with Ctrl-C, and still removing its file.
//!
//! Ctrl-C sends the signal `SIGINT`; `kill` sends `SIGTERM`; closing the
//! terminal sends `SIGHUP`. Their default action ends the process on the
//! spot: no destructor runs, so the [`SocketFile`](crate::socket_file::SocketFile)
//! guard never removes the file, and the next start finds a stale one.
//!
//! The textbook answer is a signal handler, but a handler interrupts the
//! program anywhere (in the middle of `malloc`, say) and may only call the
//! few "async-signal-safe" functions: no allocation, no locks, no `println!`.
//! There is a calmer way, with nothing to get wrong:
//!
//! 1. *block* the three signals in the main thread, before any other thread
//!    starts: every thread inherits the mask, so no thread is interrupted,
//!    and a signal that arrives waits, pending;
//! 2. start one thread that waits for them with `sigwait`. It receives the
//!    signal as an ordinary return value, and as an ordinary thread it may
//!    do anything: remove the file, then end the process.
//!
//! (The `ctrlc` crate does the same with a pipe; `signal-hook` offers both.
//! Here it is a dozen lines of `libc`, and you can see all of it.)

use std::io;
use std::mem::MaybeUninit;
use std::thread;

/// The signals that ask a program to stop.
pub const STOP_SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The stop signals, blocked in this thread and every thread it starts
/// afterwards. Hand them to [`StopSignals::on_stop`].
pub struct StopSignals {
    set: libc::sigset_t,
}

impl std::fmt::Debug for StopSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopSignals")
            .field("signals", &STOP_SIGNALS)
            .finish()
    }
}

// ANCHOR: block
/// Blocks `SIGINT`, `SIGTERM` and `SIGHUP`. Call it first thing in `main`,
/// while the program has one thread.
pub fn block_stop_signals() -> io::Result<StopSignals> {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set it is given; `set` is valid
    // for writes. It cannot fail for a valid pointer.
    unsafe { libc::sigemptyset(set.as_mut_ptr()) };
    for signal in STOP_SIGNALS {
        // SAFETY: the set was initialised above; the signals are valid.
        unsafe { libc::sigaddset(set.as_mut_ptr(), signal) };
    }
    // SAFETY: initialised by sigemptyset above.
    let set = unsafe { set.assume_init() };
    // SAFETY: `set` is a valid, initialised signal set; we do not ask for
    // the old mask, so a null pointer is allowed.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }
    Ok(StopSignals { set })
}
// ANCHOR_END: block

impl StopSignals {
    // ANCHOR: on_stop
    /// Starts the thread that waits for a stop signal. When one comes, it
    /// runs `cleanup` and ends the process with the exit code a shell
    /// expects of a signal: 128 + its number (130 for Ctrl-C).
    pub fn on_stop(self, cleanup: impl FnOnce() + Send + 'static) -> io::Result<()> {
        thread::Builder::new()
            .name("stop-signals".into())
            .spawn(move || {
                let code = match self.wait() {
                    Ok(signal) => 128 + signal,
                    Err(err) => {
                        eprintln!("error: cannot wait for stop signals: {err}");
                        1
                    }
                };
                cleanup();
                std::process::exit(code);
            })?;
        Ok(())
    }
    // ANCHOR_END: on_stop

    /// Waits until one of the blocked signals arrives and returns its number.
    fn wait(&self) -> io::Result<libc::c_int> {
        let mut signal: libc::c_int = 0;
        // SAFETY: `self.set` is an initialised signal set and `signal` is a
        // valid place for the result.
        let rc = unsafe { libc::sigwait(&self.set, &mut signal) };
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(signal)
    }
}
