//! Chapter 6's benchmark: `cargo run --release -p book-bench --bin loop-bench`.
//!
//! Starts each model of `loop-server` as a process of its own on a loopback
//! port chosen by the system, and at each number of concurrent connections
//! measures, with the book's load generator (`book_bench::load`, which
//! chapter 5's benchmark uses too), round trips per second and latency, the
//! server's peak memory under that load, and its memory per idle
//! connection. With `--out DIR`, writes the numbers (`results.csv`)
//! and the plots (`rate.svg`, `latency.svg`, `memory.svg`) there.

mod results;

use std::fs;
use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use book_bench::load::{Exchange, Level, measure_watched, raise_open_files_limit};
use book_bench::usage::{PeakMemory, memory_kib};
use book_bench::watch::{Cost, ServerWatch, per_round_trip, perf_counts_syscalls};
use book_support::ServerProcess;
use book_support::cli::run;
use book_support::machine::{cores, setting};
use book_support::observe::{children, fd_count};
use ch6_eventloop::app::{Model, ServerOptions, run_server};
use clap::Parser;
use results::{PLOTS, Row, draw, read_csv};

/// Measures every concurrency model on loopback.
#[derive(Parser, Debug)]
struct Args {
    /// Seconds of round trips at each level.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// The numbers of concurrent connections.
    #[arg(long, value_delimiter = ',', default_value = "10,100,1000,10000")]
    clients: Vec<usize>,
    /// The models, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Model::ALL)]
    models: Vec<Model>,
    /// Write results.csv, rate.svg, latency.svg and memory.svg into this
    /// folder (made if missing); without it, only the table is printed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Redraw the plots in `--out` from its results.csv; measure nothing.
    #[arg(long, requires = "out")]
    plot_only: bool,
    /// Also count the server's system calls during the measured time, with
    /// `perf stat` (Debian: linux-perf; it needs root, or
    /// `kernel.perf_event_paranoid` = -1).
    #[arg(long)]
    syscalls: bool,
    /// The client threads' nice value: 19, the lowest priority, lets the
    /// server run first whenever it is ready, as it would if its clients
    /// were other machines; 0 leaves them level with the server.
    #[arg(long, default_value_t = 19)]
    clients_nice: i32,
    /// Rounds: each measures every model at every level in turn; a row is
    /// the median of its rounds, and `range` shows the lowest and highest.
    #[arg(long, default_value_t = 1)]
    rounds: usize,
    /// (Internal) be the server with this model.
    #[arg(long, hide = true)]
    serve: Option<Model>,
}

/// What the load generator's clients say: chapter 5's lines protocol, which
/// every model serves, each round trip made as `upper-client` makes it.
const LINES: Exchange = Exchange {
    round_trip: ch5_socketserver::upper::round_trip,
    answer: |message| message.to_ascii_uppercase(),
};

/// The pool's workers in the benchmark, as `loop-server`'s default.
const WORKERS: usize = 100;

fn start(model: Model) -> Result<ServerProcess> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--serve", model.name()]);
    ServerProcess::spawn(command)
        .with_context(|| format!("cannot start the {} server", model.name()))
}

/// Waits (at most a minute) until the server has let go of the last
/// level's connections: as many descriptors as before, no children.
fn settle(pid: u32, fds: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while (fd_count(pid) > fds || !children(pid).is_empty()) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(50));
    }
}

// ANCHOR: idle
/// Opens `n` connections and leaves them idle after one round trip each
/// (so the server has set each one up), then returns the server's memory
/// per connection in KiB. In the pool, connections past the workers get no
/// answer: they wait in its queue, and are counted as they are.
fn idle_memory(addr: SocketAddr, pid: u32, n: usize) -> Result<f64> {
    let before = memory_kib(pid);
    let mut conns = Vec::with_capacity(n);
    let mut answering = true;
    for _ in 0..n {
        let mut c = TcpStream::connect(addr).context("idle connection")?;
        if answering {
            c.set_read_timeout(Some(Duration::from_secs(2)))?;
            c.write_all(b"idle\n")?;
            let mut answer = [0; 4];
            answering = c.read_exact(&mut answer).is_ok();
        }
        conns.push(c);
    }
    let after = memory_kib(pid);
    Ok(after.saturating_sub(before) as f64 / n as f64)
}
// ANCHOR_END: idle

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// A model's server, started once for every round.
struct Served {
    model: Model,
    server: ServerProcess,
    addr: SocketAddr,
    pid: u32,
    /// Its descriptors at rest, with no client.
    fds: usize,
    /// The load generator's client threads' nice value.
    nice: i32,
}

/// One model at one level in one round.
#[derive(Debug, Clone)]
pub struct Sample {
    level: Level,
    cost: Cost,
    peak_kib: u64,
    /// Memory per idle connection (first round only).
    idle_kib: Option<f64>,
}

impl Served {
    fn start(model: Model, nice: i32) -> Result<Self> {
        let server = start(model)?;
        let addr = server.socket_addr()?;
        let pid = server.pid();
        // One round trip first: the server has then set itself up (its
        // signal handling opens a descriptor after the first line).
        idle_memory(addr, pid, 1)?;
        let fds = fd_count(pid);
        Ok(Self {
            model,
            server,
            addr,
            pid,
            fds,
            nice,
        })
    }

    /// Measures one level: memory per idle connection (if `idle`), then
    /// `clients` doing round trips for `seconds`, and what they cost.
    fn level(
        &self,
        clients: usize,
        seconds: Duration,
        idle: bool,
        scratch: &Path,
    ) -> Result<Sample> {
        let idle_kib = if idle {
            let kib = idle_memory(self.addr, self.pid, clients)?;
            settle(self.pid, self.fds);
            Some(kib)
        } else {
            None
        };
        let peak = PeakMemory::start(self.pid, Duration::from_millis(100));
        let mut watch = ServerWatch::new(self.pid, false, scratch)?;
        let level = measure_watched(self.addr, clients, seconds, LINES, self.nice, &mut watch)?;
        let peak_kib = peak.finish();
        let cost = watch.cost()?;
        settle(self.pid, self.fds);
        Ok(Sample {
            level,
            cost,
            peak_kib,
            idle_kib,
        })
    }

    /// System calls per round trip at `clients`, with perf attached.
    fn count_syscalls(&self, clients: usize, seconds: Duration, scratch: &Path) -> Result<String> {
        let mut watch = ServerWatch::new(self.pid, true, scratch)?;
        let level = measure_watched(self.addr, clients, seconds, LINES, self.nice, &mut watch)?;
        let counts = watch.cost()?.syscalls.unwrap_or_default();
        settle(self.pid, self.fds);
        Ok(per_round_trip(&counts, level.round_trips))
    }

    fn stop(self) -> Result<()> {
        self.server.terminate()?;
        if self.server.wait_for_exit(Duration::from_secs(30)).is_none() {
            bail!("the {} server did not stop within 30 s", self.model.name());
        }
        Ok(())
    }
}

/// The row of a model at a level: the median of its rounds (by each
/// measure on its own), the lowest and highest rate, the most errors and
/// the highest peak of any round, the first round's idle memory.
fn median_row(model: &str, clients: usize, samples: &[Sample]) -> Row {
    let median = |value: &dyn Fn(&Sample) -> f64| {
        let mut values: Vec<f64> = samples.iter().map(value).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    let rates = samples.iter().map(|s| s.level.rate());
    Row {
        model: model.into(),
        clients,
        rate: median(&|s| s.level.rate()),
        rate_min: rates.clone().fold(f64::INFINITY, f64::min),
        rate_max: rates.fold(0.0, f64::max),
        p50_us: median(&|s| micros(s.level.p50)),
        p99_us: median(&|s| micros(s.level.p99)),
        cpu_us: median(&|s| s.cost.cpu_s * 1e6 / s.level.round_trips.max(1) as f64),
        errors: samples.iter().map(|s| s.level.errors).max().unwrap_or(0),
        overflows: samples
            .iter()
            .map(|s| s.level.listen_overflows)
            .max()
            .unwrap_or(0),
        peak_kib: samples.iter().map(|s| s.peak_kib).max().unwrap_or(0),
        idle_kib: samples.iter().find_map(|s| s.idle_kib).unwrap_or(0.0),
    }
}

/// 48213 as "48k", 950 as "950".
fn thousands(n: f64) -> String {
    if n >= 1000.0 {
        format!("{:.0}k", n / 1000.0)
    } else {
        format!("{n:.0}")
    }
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        if let Some(model) = args.serve {
            return run_server(ServerOptions {
                host: "127.0.0.1".into(),
                port: 0,
                model,
                workers: WORKERS,
                max_children: 11_000,
                loops: None,
            });
        }
        if let (true, Some(out)) = (args.plot_only, &args.out) {
            let rows = read_csv(&out.join("results.csv"))?;
            return draw(&rows, out);
        }
        let most = args.clients.iter().copied().max().unwrap_or(1) as u64;
        // This process holds every client socket; each server (a child,
        // which inherits the limit) holds one per connection.
        match raise_open_files_limit(most + 1024)? {
            Some((old, new)) => println!("raised the open-files limit from {old} to {new}"),
            None => println!("the open-files limit is enough for {most} connections"),
        }
        for name in ["net.core.somaxconn", "net.ipv4.ip_local_port_range"] {
            println!("{}", setting(name));
        }
        let syscalls = args.syscalls
            && match perf_counts_syscalls() {
                Ok(()) => true,
                Err(why) => {
                    println!("system calls not counted: {why}");
                    false
                }
            };
        let scratch = tempfile::tempdir()?;
        println!(
            "loop-bench: {} s a level, {} round(s), loopback, {} cores, pool of {WORKERS} workers, \
             clients at nice {}",
            args.seconds,
            args.rounds,
            cores(),
            args.clients_nice
        );
        // Every server first, so that the rounds can take turns: each
        // round measures every model at every level, and a level's row is
        // the median of its rounds. A machine whose speed drifts (other
        // tenants, its own caches) then drifts under every model alike.
        let servers = args
            .models
            .iter()
            .map(|&model| Served::start(model, args.clients_nice))
            .collect::<Result<Vec<_>>>()?;
        let seconds = Duration::from_secs_f64(args.seconds);
        let mut samples: Vec<Vec<Vec<Sample>>> =
            vec![vec![Vec::new(); args.clients.len()]; servers.len()];
        // Progress for a terminal; the table alone for a file.
        let progress = std::io::stderr().is_terminal();
        for round in 1..=args.rounds {
            for (s, served) in servers.iter().enumerate() {
                for (l, &clients) in args.clients.iter().enumerate() {
                    let sample = served.level(clients, seconds, round == 1, scratch.path())?;
                    if progress {
                        eprintln!(
                            "round {round}: {} at {clients}: {:.0} round trips/s",
                            served.model.name(),
                            sample.level.rate()
                        );
                    }
                    samples[s][l].push(sample);
                }
            }
        }
        println!(
            "{:<10} {:>7} {:>13} {:>13} {:>8} {:>8} {:>9} {:>6} {:>9} {:>9} {:>9}",
            "model",
            "clients",
            "round trips/s",
            "range",
            "p50 µs",
            "p99 µs",
            "CPU µs/rt",
            "errors",
            "overflows",
            "peak MiB",
            "KiB/idle"
        );
        let mut rows = Vec::new();
        for (served, by_level) in servers.iter().zip(&samples) {
            for (&clients, level_samples) in args.clients.iter().zip(by_level) {
                let row = median_row(served.model.name(), clients, level_samples);
                println!(
                    "{:<10} {:>7} {:>13.0} {:>13} {:>8.0} {:>8.0} {:>9.1} {:>6} {:>9} {:>9.1} {:>9.1}",
                    row.model,
                    clients,
                    row.rate,
                    format!("{}–{}", thousands(row.rate_min), thousands(row.rate_max)),
                    row.p50_us,
                    row.p99_us,
                    row.cpu_us,
                    row.errors,
                    row.overflows,
                    row.peak_kib as f64 / 1024.0,
                    row.idle_kib
                );
                let errors = level_samples
                    .iter()
                    .filter_map(|s| s.level.first_error.as_ref());
                if let Some(e) = errors.clone().next() {
                    println!("  first error: {e}");
                    for line in served.server.stderr().lines().rev().take(2) {
                        println!("  the server said: {line}");
                    }
                }
                rows.push(row);
            }
        }
        // Counting system calls slows the server (every call fires a
        // tracepoint), so they are counted in a level of their own, at
        // the most connections, apart from the rates above.
        let mut syscall_lines = Vec::new();
        if syscalls {
            for served in &servers {
                let counted = served.count_syscalls(most as usize, seconds, scratch.path())?;
                syscall_lines.push(format!("{:<10} {:>7} {counted}", served.model.name(), most));
            }
        }
        for served in servers {
            served.stop()?;
        }
        if !syscall_lines.is_empty() {
            println!(
                "system calls per round trip, all and by name (perf stat, a level of its own):"
            );
            for line in &syscall_lines {
                println!("{line}");
            }
        }
        // Each model beside a thread per connection, the baseline, at the
        // largest level that thread per connection served without errors.
        let baseline = rows
            .iter()
            .filter(|r| r.model == "threading" && r.errors == 0)
            .max_by_key(|r| r.clients);
        if let Some(base) = baseline {
            let ratios: Vec<String> = rows
                .iter()
                .filter(|r| r.clients == base.clients && r.model != base.model)
                .map(|r| format!("{} {:.2}x", r.model, r.rate / base.rate.max(1e-9)))
                .collect();
            println!(
                "at {} connections, against threading: {}",
                base.clients,
                ratios.join(", ")
            );
        }
        if let Some(out) = &args.out {
            fs::create_dir_all(out)?;
            Row::table(&rows).write(&out.join("results.csv"))?;
            draw(&rows, out)?;
            let files: Vec<&str> = PLOTS.iter().map(|(file, _)| *file).collect();
            println!(
                "wrote results.csv, {} in {}",
                files.join(", "),
                out.display()
            );
        }
        Ok(())
    })
}
