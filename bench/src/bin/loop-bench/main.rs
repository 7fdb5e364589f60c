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
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use book_bench::load::{Exchange, measure, raise_open_files_limit};
use book_bench::usage::{PeakMemory, memory_kib};
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
        println!(
            "loop-bench: {} s a level, loopback, {} cores, pool of {WORKERS} workers",
            args.seconds,
            cores()
        );
        println!(
            "{:<10} {:>7} {:>13} {:>8} {:>8} {:>6} {:>9} {:>9} {:>9}",
            "model",
            "clients",
            "round trips/s",
            "p50 µs",
            "p99 µs",
            "errors",
            "overflows",
            "peak MiB",
            "KiB/idle"
        );
        let mut rows = Vec::new();
        for &model in &args.models {
            let server = start(model)?;
            let addr = server.socket_addr()?;
            let pid = server.pid();
            // One round trip first: the server has then set itself up (its
            // signal handling opens a descriptor after the first line).
            idle_memory(addr, pid, 1)?;
            let fds = fd_count(pid);
            for &clients in &args.clients {
                let idle_kib = idle_memory(addr, pid, clients)?;
                settle(pid, fds);
                let peak = PeakMemory::start(pid, Duration::from_millis(100));
                let level = measure(addr, clients, Duration::from_secs_f64(args.seconds), LINES)?;
                let peak_kib = peak.finish();
                settle(pid, fds);
                let row = Row {
                    model: model.name().into(),
                    clients,
                    rate: level.rate(),
                    p50_us: micros(level.p50),
                    p99_us: micros(level.p99),
                    errors: level.errors,
                    overflows: level.listen_overflows,
                    peak_kib,
                    idle_kib,
                };
                println!(
                    "{:<10} {:>7} {:>13.0} {:>8.0} {:>8.0} {:>6} {:>9} {:>9.1} {:>9.1}",
                    row.model,
                    clients,
                    row.rate,
                    row.p50_us,
                    row.p99_us,
                    row.errors,
                    row.overflows,
                    row.peak_kib as f64 / 1024.0,
                    row.idle_kib
                );
                if let Some(e) = &level.first_error {
                    println!("  first error: {e}");
                    let stderr = server.stderr();
                    for line in stderr.lines().rev().take(2) {
                        println!("  the server said: {line}");
                    }
                }
                rows.push(row);
            }
            server.terminate()?;
            if server.wait_for_exit(Duration::from_secs(30)).is_none() {
                bail!("the {} server did not stop within 30 s", model.name());
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
