//! Looking at a running process from outside, as the leak and shutdown
//! tests do.
//!
//! Some states announce themselves with no event a test could wait on: the
//! number of descriptors a server holds, its threads, its children, whether a
//! child has exited (std has no wait with a timeout). For those, and only for
//! those, a test checks again every few milliseconds until the state holds or
//! a bound runs out: [`eventually`].

use std::fs;
use std::process::{Child, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

/// How often [`eventually`] looks again.
const RECHECK: Duration = Duration::from_millis(10);

/// Waits until `condition` holds, looking again every few milliseconds, for
/// at most `bound`. Returns whether it held.
pub fn eventually(bound: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(RECHECK);
    }
}

/// Waits at most `bound` for `child` to exit, and returns its status.
pub fn wait_for_child(child: &mut Child, bound: Duration) -> Option<ExitStatus> {
    let mut status = None;
    eventually(bound, || {
        status = child.try_wait().ok().flatten();
        status.is_some()
    });
    status
}

/// The open descriptors of process `pid` (0 if it is gone).
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The threads of process `pid` (0 if it is gone).
pub fn thread_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}
