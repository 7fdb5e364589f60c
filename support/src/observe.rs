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

/// The CPU time process `pid` has used so far, in clock ticks (user and
/// system; a tick is 1/100 s on Linux), or `None` if it is gone. Two
/// readings a known time apart tell whether a process spins.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name, in parentheses, may hold spaces: count fields after it.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// The open descriptors of process `pid` (0 if it is gone).
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The threads of process `pid` (0 if it is gone).
pub fn thread_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

/// How many times, since the machine started, a listening socket's accept
/// queue was full when a connection completed its handshake
/// (`ListenOverflows` in `/proc/net/netstat`, what `nstat` and
/// `netstat -s` call "times the listen queue of a socket overflowed").
/// The kernel then drops the handshake's last packet, and the client,
/// which believes it is connected, waits for retransmissions.
///
/// The count is for the whole machine, so the difference across a
/// benchmark's level is that level's only on an otherwise quiet machine.
/// `None` where the file or the counter is missing.
pub fn listen_overflows() -> Option<u64> {
    let text = fs::read_to_string("/proc/net/netstat").ok()?;
    counter(&text, "TcpExt:", "ListenOverflows")
}

/// A counter of a `/proc/net/netstat`-style text: a line of names after
/// `prefix`, then a line of values after the same prefix.
fn counter(text: &str, prefix: &str, name: &str) -> Option<u64> {
    let mut lines = text.lines().filter(|l| l.starts_with(prefix));
    while let (Some(names), Some(values)) = (lines.next(), lines.next()) {
        let at = names.split_whitespace().position(|n| n == name);
        if let Some(at) = at {
            return values.split_whitespace().nth(at)?.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_reads_the_value_under_its_name() {
        let text = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n\
                    TcpExt: 3 42004 42010\n\
                    IpExt: InNoRoutes\n\
                    IpExt: 0\n";
        assert_eq!(counter(text, "TcpExt:", "ListenOverflows"), Some(42004));
        assert_eq!(counter(text, "IpExt:", "InNoRoutes"), Some(0));
        assert_eq!(counter(text, "TcpExt:", "Nothing"), None);
    }

    #[test]
    fn this_machine_counts_listen_overflows() {
        assert!(listen_overflows().is_some());
    }
}
