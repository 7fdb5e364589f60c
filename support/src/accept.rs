//! Accepting when the process has run out of descriptors.
//!
//! `accept` fails with `EMFILE` when the process has as many descriptors
//! open as its limit allows (`ulimit -n`), and with `ENFILE` when the whole
//! system has. The waiting connection stays in the listen queue, so the
//! listener is readable again at once: a loop that logs and retries spins
//! on a whole core and writes a log line per try, while the clients it has
//! starve. The cure is to pause accepting for a moment (the clients already
//! connected go on being served, and each one that leaves frees a
//! descriptor), to log once per episode, and to say when accepting works
//! again.

use std::io;
use std::thread;
use std::time::Duration;

/// How long a loop stops accepting after running out of descriptors.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Is `err` a shortage of descriptors or memory, which retrying at once
/// cannot cure?
pub fn out_of_resources(err: &io::Error) -> bool {
    matches!(
        err.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// What a blocking accept loop remembers between failures: whether it is in
/// an episode of running out, so that it logs the episode once.
#[derive(Debug, Default)]
pub struct AcceptPause {
    out_of_resources: bool,
}

impl AcceptPause {
    // ANCHOR: failed
    /// After `accept` failed with `err`: logs it (a shortage only when the
    /// episode starts) and, for a shortage, sleeps [`ACCEPT_BACKOFF`] before
    /// the loop tries again. Other errors (a client that reset before we
    /// accepted it) are logged and retried at once.
    pub fn failed(&mut self, err: &io::Error, log: impl FnOnce(&str)) {
        if self.note_failure(err, log) {
            thread::sleep(ACCEPT_BACKOFF);
        }
    }
    // ANCHOR_END: failed

    /// The same as [`AcceptPause::failed`] without the sleep, for an event
    /// loop, which must go on serving its clients meanwhile: logs, and
    /// says whether `err` was a shortage, after which the loop should not
    /// accept for [`ACCEPT_BACKOFF`].
    pub fn note_failure(&mut self, err: &io::Error, log: impl FnOnce(&str)) -> bool {
        if !out_of_resources(err) {
            log(&format!("accept failed: {err}"));
            return false;
        }
        if !self.out_of_resources {
            self.out_of_resources = true;
            log(&format!(
                "accept failed: {err}; pausing accepts for {ACCEPT_BACKOFF:?} at a time \
                 until a descriptor is free (the clients already connected are still served)"
            ));
        }
        true
    }

    /// After `accept` worked: ends an episode, saying so.
    pub fn accepted(&mut self, log: impl FnOnce(&str)) {
        if self.out_of_resources {
            self.out_of_resources = false;
            log("accepting again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shortage_is_logged_once_per_episode() {
        let mut pause = AcceptPause::default();
        let mut lines = Vec::new();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        for _ in 0..3 {
            pause.failed(&emfile, |l| lines.push(l.to_string()));
        }
        pause.accepted(|l| lines.push(l.to_string()));
        pause.accepted(|l| lines.push(l.to_string()));
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("pausing accepts"), "{lines:?}");
        assert_eq!(lines[1], "accepting again");
    }

    #[test]
    fn other_errors_are_logged_every_time_and_not_waited_on() {
        let mut pause = AcceptPause::default();
        let mut lines = 0;
        let reset = io::Error::from(io::ErrorKind::ConnectionAborted);
        let started = std::time::Instant::now();
        pause.failed(&reset, |_| lines += 1);
        pause.failed(&reset, |_| lines += 1);
        assert_eq!(lines, 2);
        assert!(started.elapsed() < ACCEPT_BACKOFF);
    }
}
