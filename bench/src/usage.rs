//! What a process used: its memory and its CPU time.
//!
//! Memory comes in two measures. Chapter 6 reads a server's proportional
//! set size (PSS, [`memory_kib`]) while it is under load, sampled by
//! [`PeakMemory`]: PSS divides shared pages fairly among a forking server's
//! processes. Chapter 4 reads the peak resident size the kernel keeps for a
//! process (`VmHWM`, [`peak_rss_mib`]), and for a child it waits for, the
//! one `wait4` returns with the child's CPU time ([`wait_with_usage`]).

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use book_support::observe;

// ANCHOR: memory
/// The memory of a server: the proportional set size (PSS) of the process
/// and its children, in KiB. PSS divides each shared page among the
/// processes that share it, so a forking server's children, which share
/// most of their pages with the parent, are not counted many times over.
pub fn memory_kib(pid: u32) -> u64 {
    // `Pss` in /proc/PID/smaps_rollup; 0 for a process gone meanwhile.
    let pss = |p: u32| observe::pss_kib(p).unwrap_or(0);
    pss(pid) + observe::children(pid).into_iter().map(pss).sum::<u64>()
}
// ANCHOR_END: memory

/// Samples [`memory_kib`] on a thread until finished; keeps the peak.
#[derive(Debug)]
pub struct PeakMemory {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<thread::JoinHandle<()>>,
}

impl PeakMemory {
    /// Starts sampling `pid` every `every`.
    pub fn start(pid: u32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(memory_kib(pid)));
        let thread = {
            let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(memory_kib(pid), Ordering::Relaxed);
                    // A sampling period, not a wait for an event.
                    thread::sleep(every);
                }
            })
        };
        PeakMemory {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    /// Stops sampling and returns the peak, in KiB.
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// The peak resident memory of a running process so far (`VmHWM`), in MiB;
/// 0 if it is gone.
pub fn peak_rss_mib(pid: u32) -> f64 {
    observe::status_kib(pid, "VmHWM").map_or(0.0, |kib| kib as f64 / 1024.0)
}

/// What a child used, as `wait4` tells once it has ended.
#[derive(Debug, Clone, Copy)]
pub struct Waited {
    /// Whether it exited with success.
    pub ok: bool,
    /// Its peak resident memory, in MiB (`ru_maxrss`).
    pub peak_mib: f64,
    /// The CPU time (user and system) of all its threads, in seconds.
    pub cpu_secs: f64,
}

/// Waits for `child` and returns what it used.
pub fn wait_with_usage(child: Child) -> Waited {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers; the child is ours and not yet waited for.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    Waited {
        ok: r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        cpu_secs: cpu_secs(&usage),
    }
}

/// The CPU time (user and system) the calling thread has used, in seconds.
pub fn thread_cpu_secs() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage struct.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    cpu_secs(&usage)
}

/// User plus system time of a `rusage`, in seconds.
fn cpu_secs(usage: &libc::rusage) -> f64 {
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn this_process_has_memory_and_a_peak() {
        let me = std::process::id();
        assert!(memory_kib(me) > 0);
        assert!(peak_rss_mib(me) > 0.0);
        let peak = PeakMemory::start(me, Duration::from_millis(5));
        assert!(peak.finish() > 0);
    }

    #[test]
    fn a_child_is_waited_for_with_its_peak_and_cpu_time() {
        let child = Command::new("true").spawn().unwrap();
        let waited = wait_with_usage(child);
        assert!(waited.ok && waited.peak_mib > 0.0, "{waited:?}");
        assert!(waited.cpu_secs >= 0.0, "{waited:?}");
        let child = Command::new("false").spawn().unwrap();
        assert!(!wait_with_usage(child).ok);
    }

    #[test]
    fn a_spinning_thread_uses_cpu_time() {
        let before = thread_cpu_secs();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            std::hint::black_box(0);
        }
        assert!(thread_cpu_secs() > before);
    }
}
