//! What a benchmark reads off a server while the clients do round trips:
//! its CPU time, and, where `perf` can count them, its system calls.
//!
//! Both are per round trip, so models can be compared at equal work: a
//! model that spends less of the machine on each round trip leaves more to
//! the others. Both count only the measured time (every client connected),
//! not the connection storm before it.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::load::Watch;
use book_support::observe::{children, cpu_ticks, reaped_children_cpu_ticks};

/// The system calls counted one by one; `raw_syscalls:sys_enter` counts
/// them all.
pub const SYSCALLS: [&str; 12] = [
    "read",
    "write",
    "recvfrom",
    "sendto",
    "poll",
    "ppoll",
    "epoll_wait",
    "epoll_pwait",
    "epoll_ctl",
    "futex",
    "accept4",
    "sched_yield",
];

/// Whether `perf stat` can count this machine's system calls (it needs
/// root, or `kernel.perf_event_paranoid` at -1), and why not if it cannot.
pub fn perf_counts_syscalls() -> Result<(), String> {
    let probe = Command::new("perf")
        .args([
            "stat",
            "-x,",
            "-e",
            "raw_syscalls:sys_enter",
            "-o",
            "/dev/null",
            "true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match probe {
        Ok(status) if status.success() => Ok(()),
        Ok(_) => Err("perf cannot count system calls here (it needs root, or \
                      kernel.perf_event_paranoid = -1)"
            .into()),
        Err(_) => Err("perf is not installed (Debian: linux-perf)".into()),
    }
}

/// The server's CPU time, in clock ticks: its threads, its children alive
/// now, and those it has waited for (a child that ends between two
/// readings moves from the second kind to the third, whole).
fn ticks_with_children(pid: u32) -> u64 {
    let own = cpu_ticks(pid).unwrap_or(0) + reaped_children_cpu_ticks(pid).unwrap_or(0);
    own + children(pid).into_iter().filter_map(cpu_ticks).sum::<u64>()
}

/// Clock ticks a second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// What one level cost the server.
#[derive(Debug, Default, Clone)]
pub struct Cost {
    /// CPU time, in seconds.
    pub cpu_s: f64,
    /// System calls by name (and `all`), if `perf` counted them.
    pub syscalls: Option<BTreeMap<String, u64>>,
}

/// Watches server `pid` through one level of load.
#[derive(Debug)]
pub struct ServerWatch {
    pid: u32,
    ticks: u64,
    perf: Option<Perf>,
    cost: Cost,
}

impl ServerWatch {
    /// Readies the watch; with `syscalls`, starts `perf` attached to the
    /// server with its counters off until the measured time starts.
    pub fn new(pid: u32, syscalls: bool, scratch: &Path) -> anyhow::Result<Self> {
        let perf = if syscalls {
            Some(Perf::attach(pid, scratch)?)
        } else {
            None
        };
        Ok(Self {
            pid,
            ticks: 0,
            perf,
            cost: Cost::default(),
        })
    }

    /// What the level cost, once it has ended.
    pub fn cost(mut self) -> anyhow::Result<Cost> {
        if let Some(perf) = self.perf.take() {
            self.cost.syscalls = Some(perf.finish()?);
        }
        Ok(self.cost)
    }
}

impl Watch for ServerWatch {
    fn started(&mut self) {
        if let Some(perf) = &mut self.perf {
            perf.command("enable");
        }
        self.ticks = ticks_with_children(self.pid);
    }

    fn ended(&mut self) {
        let ticks = ticks_with_children(self.pid).saturating_sub(self.ticks);
        if let Some(perf) = &mut self.perf {
            perf.command("disable");
        }
        self.cost.cpu_s = ticks as f64 / ticks_per_second();
    }
}

/// `perf stat` attached to a process, switched on and off through its
/// control FIFO (`--control`), so that it counts exactly the measured time.
#[derive(Debug)]
struct Perf {
    child: Child,
    control: File,
    ack: File,
    output: std::path::PathBuf,
}

/// How long perf may take to answer.
const PERF_TIMEOUT: Duration = Duration::from_secs(30);

fn mkfifo(path: &Path) -> std::io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: a valid NUL-terminated path.
    if unsafe { libc::mkfifo(c.as_ptr(), 0o600) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl Perf {
    fn attach(pid: u32, scratch: &Path) -> anyhow::Result<Self> {
        let (control, ack) = (scratch.join("perf-control"), scratch.join("perf-ack"));
        let output = scratch.join("perf-stat.csv");
        for fifo in [&control, &ack] {
            let _ = fs::remove_file(fifo);
            mkfifo(fifo)?;
        }
        let mut events = vec!["raw_syscalls:sys_enter".to_string()];
        events.extend(SYSCALLS.iter().map(|s| format!("syscalls:sys_enter_{s}")));
        let mut child = Command::new("perf")
            .args(["stat", "-x,", "-D", "-1", "--control"])
            .arg(format!("fifo:{},{}", control.display(), ack.display()))
            .args(["-e", &events.join(","), "-p", &pid.to_string(), "-o"])
            .arg(&output)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        // Non-blocking opens: a perf that failed to start must not hang us.
        let ack_file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&ack)?;
        let deadline = Instant::now() + PERF_TIMEOUT;
        let control_file = loop {
            match OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&control)
            {
                Ok(f) => break f,
                Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                    if child.try_wait()?.is_some() || Instant::now() > deadline {
                        anyhow::bail!("perf stat did not start");
                    }
                    thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Self {
            child,
            control: control_file,
            ack: ack_file,
            output,
        })
    }

    /// Sends `enable` or `disable` and waits (bounded) for perf's `ack`.
    fn command(&mut self, command: &str) {
        if writeln!(self.control, "{command}").is_err() {
            return;
        }
        let deadline = Instant::now() + PERF_TIMEOUT;
        let mut got = Vec::new();
        // perf writes "ack\n" and a NUL.
        while !got.windows(4).any(|w| w == b"ack\n") && Instant::now() < deadline {
            let mut buf = [0; 16];
            match self.ack.read(&mut buf) {
                Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
                _ => thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    /// Stops perf and reads its counts: `all`, and each of [`SYSCALLS`].
    fn finish(mut self) -> anyhow::Result<BTreeMap<String, u64>> {
        // SAFETY: signals our own child, which has not been waited for.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        self.child.wait()?;
        let text = fs::read_to_string(&self.output)?;
        Ok(parse_perf_csv(&text))
    }
}

/// perf stat's CSV (`-x,`): `value,unit,event,...` a line, comments after
/// `#`. An event that could not be counted has a value that is no number.
fn parse_perf_csv(text: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split(',').collect();
        let (Some(value), Some(event)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        let Ok(value) = value.parse::<u64>() else {
            continue;
        };
        let name = match event.strip_prefix("syscalls:sys_enter_") {
            Some(name) => name.to_string(),
            None if *event == "raw_syscalls:sys_enter" => "all".to_string(),
            None => continue,
        };
        counts.insert(name, value);
    }
    counts
}

/// The system calls of a level per round trip, `all` first, then each name
/// that made at least 0.01 a round trip: "2.01: recvfrom 1.00 sendto 1.00".
pub fn per_round_trip(counts: &BTreeMap<String, u64>, round_trips: usize) -> String {
    let per = |n: u64| n as f64 / round_trips.max(1) as f64;
    let mut named: Vec<(&String, f64)> = counts
        .iter()
        .filter(|(name, _)| *name != "all")
        .map(|(name, &n)| (name, per(n)))
        .filter(|(_, p)| *p >= 0.01)
        .collect();
    named.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let all = counts.get("all").copied().map_or(0.0, per);
    let parts: Vec<String> = named.iter().map(|(n, p)| format!("{n} {p:.2}")).collect();
    format!("{all:.2}: {}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_csv_is_read_by_event_and_uncounted_events_are_left_out() {
        let text = "# started on Mon\n\n\
            300,,raw_syscalls:sys_enter,100,100.00,,\n\
            100,,syscalls:sys_enter_recvfrom,100,100.00,,\n\
            <not counted>,,syscalls:sys_enter_futex,0,100.00,,\n\
            99,,syscalls:sys_enter_sendto,100,100.00,,\n";
        let counts = parse_perf_csv(text);
        assert_eq!(counts.len(), 3);
        assert_eq!(counts["all"], 300);
        assert_eq!(
            per_round_trip(&counts, 100),
            "3.00: recvfrom 1.00 sendto 0.99"
        );
    }
}
