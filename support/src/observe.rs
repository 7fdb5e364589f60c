//! Looking at processes, and at the machine, from outside, as the leak and
//! shutdown tests, the checkers and the benchmarks do.
//!
//! Everything the book's tooling reads from `/proc` is read here, once: a
//! process's CPU time, descriptors, threads, parent and children, and memory
//! (`/proc/PID/...`), and the machine's counters and settings
//! (`/proc/net/netstat`, `/proc/sys`, `/proc/meminfo`, `/proc/cpuinfo`).
//! Every reader says what it gives when a process is gone or a file is
//! missing: 0, an empty list or `None`, never a panic. (The chapters' own
//! lessons about `/proc`, such as chapter 2's `/proc/self/fd/N` and
//! `/proc/net/tcp`, stay in their chapters.)
//!
//! Some states announce themselves with no event a test could wait on: the
//! number of descriptors a server holds, its threads, its children, whether a
//! child has exited (std has no wait with a timeout). For those, and only for
//! those, a test checks again every few milliseconds until the state holds or
//! a bound runs out: [`eventually`].

use std::fs;
use std::io;
use std::net::TcpStream;
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

/// Field `n` of `/proc/PID/stat` counted from the first after the
/// process's name (0: its state, field 3 of proc(5)); `None` if the process
/// is gone.
fn stat_field<T: std::str::FromStr>(pid: u32, n: usize) -> Option<T> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    after_name(&stat)?.nth(n)?.parse().ok()
}

/// The fields of a `stat` text after the name, which is in parentheses and
/// may hold spaces and parentheses itself: the fields start after the last
/// `)`.
fn after_name(stat: &str) -> Option<std::str::SplitWhitespace<'_>> {
    Some(stat.rsplit_once(')')?.1.split_whitespace())
}

/// The CPU time process `pid` has used so far, in clock ticks (user and
/// system; a tick is 1/100 s on Linux), or `None` if it is gone. Two
/// readings a known time apart tell whether a process spins.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the name: state is field 3, utime 14 and stime 15 (1-based).
    let mut fields = after_name(&stat)?.skip(11);
    Some(fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?)
}

/// The CPU time of the children process `pid` has waited for, in clock
/// ticks (cutime and cstime): a forking server's finished children.
pub fn reaped_children_cpu_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the name: cutime is field 16 and cstime 17 (1-based).
    let mut fields = after_name(&stat)?.skip(13);
    Some(fields.next()?.parse::<u64>().ok()? + fields.next()?.parse::<u64>().ok()?)
}

/// The CPU ticks process `pid` uses while `wait` runs: how a test tells a
/// process that waits from one that spins, over a wait it has a reason for.
pub fn cpu_ticks_during(pid: u32, wait: impl FnOnce()) -> Option<u64> {
    let before = cpu_ticks(pid)?;
    wait();
    Some(cpu_ticks(pid)?.saturating_sub(before))
}

/// Waits at most `window` for `stream`'s peer to send anything (or to
/// close). `true` if nothing came: the peer is silent, as a server that
/// cannot accept a queued client must be. Nothing is consumed, and the
/// stream's read timeout is put back as it was.
pub fn silent_for(stream: &TcpStream, window: Duration) -> bool {
    let previous = stream.read_timeout().ok().flatten();
    let mut byte = [0u8; 1];
    // A signal may cut the wait short (EINTR): wait again for what is left.
    let deadline = Instant::now() + window;
    let peeked = crate::check::again_if_interrupted(|| {
        let left = deadline.saturating_duration_since(Instant::now());
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        stream.peek(&mut byte)
    });
    let silent = matches!(
        peeked,
        Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
    );
    let _ = stream.set_read_timeout(previous);
    silent
}

/// The parent of process `pid`, or `None` if it is gone.
pub fn parent(pid: u32) -> Option<u32> {
    // After the name: state is field 3, the parent's pid field 4.
    stat_field(pid, 1)
}

/// The children of process `pid`, zombies included (a child nobody waited
/// for is a leak too); empty if it has none or is gone.
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&n| parent(n) == Some(pid))
        .collect()
}

/// The open descriptors of process `pid` (0 if it is gone).
pub fn fd_count(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Whether process `pid` and every process below it are at rest: each of
/// their threads asleep in the kernel (state `S`: blocked in `accept`,
/// `recv`, `poll`, a `join`, a lock), none running, waiting on the disk,
/// stopped, or dying. `false` if the process is gone. A program that has
/// finished reacting to an event is at rest; a program on its way out is
/// not (its threads run, then turn to zombies), so a checker can tell "it
/// lives on" from "it is exiting" without waiting out a fixed time.
pub fn at_rest(pid: u32) -> bool {
    let mut pending = vec![pid];
    let mut seen = 0;
    while let Some(pid) = pending.pop() {
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            return false;
        };
        for task in tasks.flatten() {
            let stat = fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let state = after_name(&stat).and_then(|mut fields| fields.next());
            if state != Some("S") {
                return false;
            }
        }
        seen += 1;
        pending.extend(children(pid));
    }
    seen > 0
}

/// The CPU time of process `pid` and every process below it, in clock
/// ticks; `None` if `pid` is gone.
fn tree_cpu_ticks(pid: u32) -> Option<u64> {
    let mut total = cpu_ticks(pid)?;
    let mut pending = children(pid);
    while let Some(child) = pending.pop() {
        total += cpu_ticks(child).unwrap_or(0);
        pending.extend(children(child));
    }
    Some(total)
}

/// Waits at most `bound` until process `pid` (and every process below it)
/// has come to rest: seen at rest ([`at_rest`]) on several looks in a row,
/// its CPU time standing still across them. Returns whether it did; a
/// process that exits instead never does.
pub fn comes_to_rest(pid: u32, bound: Duration) -> bool {
    /// Looks in a row that must all find the process at rest.
    const LOOKS: u32 = 4;
    let mut quiet = 0;
    let mut ticks = None;
    eventually(bound, || {
        let now = tree_cpu_ticks(pid);
        if at_rest(pid) && now.is_some() && now == ticks {
            quiet += 1;
        } else {
            quiet = 0;
        }
        ticks = now;
        quiet >= LOOKS
    })
}

/// The threads of process `pid` (0 if it is gone).
pub fn thread_count(pid: u32) -> usize {
    threads(pid).unwrap_or(0)
}

/// The threads of process `pid`, or why `/proc/PID/task` could not be
/// read: for a caller that must not guess, such as a server that forks
/// only while it has one thread.
pub fn threads(pid: u32) -> io::Result<usize> {
    Ok(fs::read_dir(format!("/proc/{pid}/task"))?.count())
}

/// The value of line `name` of `/proc/PID/status`, trimmed (`CapEff` gives
/// `000001ffffffffff`); `None` if the process is gone or has no such line.
pub fn status_line(pid: u32, name: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some(line_value(&status, name)?.trim().to_string())
}

/// A size line of `/proc/PID/status` in KiB, such as `VmRSS` (resident
/// memory now) or `VmHWM` (its peak so far); `None` if the process is gone
/// or has no such line (a zombie has no memory lines).
pub fn status_kib(pid: u32, name: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    kib_line(&status, name)
}

/// The proportional set size of process `pid` in KiB (`Pss` in
/// `/proc/PID/smaps_rollup`): its resident memory, with each page it
/// shares divided among the processes that share it. `None` if it is gone.
pub fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    kib_line(&rollup, "Pss")
}

/// What follows `NAME:` on the first line of `text` that starts so.
fn line_value<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
}

/// The number of a `NAME:   1234 kB` line.
fn kib_line(text: &str, name: &str) -> Option<u64> {
    line_value(text, name)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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

/// A kernel setting by its `sysctl` name (`net.core.somaxconn`, read from
/// `/proc/sys/net/core/somaxconn`), its fields joined by one space; `None`
/// where there is no such setting.
pub fn sysctl(name: &str) -> Option<String> {
    let text = fs::read_to_string(format!("/proc/sys/{}", name.replace('.', "/"))).ok()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A line of `/proc/meminfo` in KiB, such as `MemTotal`.
pub fn meminfo_kib(name: &str) -> Option<u64> {
    kib_line(&fs::read_to_string("/proc/meminfo").ok()?, name)
}

/// The processor's model name, from the first `model name` line of
/// `/proc/cpuinfo` (some architectures have none).
pub fn cpu_model() -> Option<String> {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").ok()?;
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
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

    #[test]
    fn fields_start_after_the_last_parenthesis_of_the_name() {
        let stat = "42 (a (b) c) S 7 42 42 0 -1";
        let fields: Vec<&str> = after_name(stat).unwrap().collect();
        assert_eq!(fields[..2], ["S", "7"]);
    }

    #[test]
    fn kib_lines_are_found_by_their_whole_name() {
        let text = "VmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nPss:  12 kB\nPss_Anon: 3 kB\n";
        assert_eq!(kib_line(text, "VmHWM"), Some(2048));
        assert_eq!(kib_line(text, "VmRSS"), Some(1024));
        assert_eq!(kib_line(text, "Pss"), Some(12));
        assert_eq!(kib_line(text, "Pss_Anon"), Some(3));
        assert_eq!(kib_line(text, "Vm"), None);
    }

    #[test]
    fn this_process_is_seen_from_proc() {
        let me = std::process::id();
        assert!(cpu_ticks(me).is_some());
        assert!(reaped_children_cpu_ticks(me).is_some());
        assert!(fd_count(me) >= 3);
        assert!(thread_count(me) >= 1);
        // Two readings agree, once no other test starts or ends a thread
        // between them.
        let agree = || threads(me).is_ok_and(|n| n == thread_count(me));
        assert!(eventually(Duration::from_secs(10), agree));
        let parent = parent(me).unwrap();
        assert!(children(parent).contains(&me));
        assert!(status_kib(me, "VmHWM").is_some_and(|kib| kib > 0));
        assert!(status_kib(me, "VmRSS").is_some_and(|kib| kib > 0));
        assert!(status_line(me, "CapEff").is_some_and(|hex| u64::from_str_radix(&hex, 16).is_ok()));
        assert_eq!(status_line(me, "Pid"), Some(me.to_string()));
        assert!(pss_kib(me).is_some_and(|kib| kib > 0));
        assert!(meminfo_kib("MemTotal").is_some_and(|kib| kib > 0));
        assert!(sysctl("kernel.ostype").is_some_and(|s| !s.is_empty()));
        assert_eq!(sysctl("no.such.setting"), None);
    }

    #[test]
    fn a_process_that_is_gone_reads_as_nothing() {
        // Past the largest pid Linux hands out (4194304).
        let gone = 4_194_400;
        assert_eq!(cpu_ticks(gone), None);
        assert_eq!(reaped_children_cpu_ticks(gone), None);
        assert_eq!(parent(gone), None);
        assert!(children(gone).is_empty());
        assert_eq!(fd_count(gone), 0);
        assert_eq!(thread_count(gone), 0);
        assert!(threads(gone).is_err());
        assert_eq!(status_kib(gone, "VmRSS"), None);
        assert_eq!(status_line(gone, "CapEff"), None);
        assert_eq!(pss_kib(gone), None);
    }
}
