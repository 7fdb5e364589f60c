//! Chapter 5's benchmark: `cargo run --release -p book-bench --bin upper-bench`.
//!
//! Starts the Rust server with threads, the Rust server with processes, and
//! the article's Python `ThreadingTCPServer`, each on a loopback port chosen
//! by the system, and measures round trips per second and latency at each
//! number of concurrent clients, in one run. With `--out DIR` it also
//! writes `results.csv` (one row per server and level) and the plots
//! `rate.svg` and `latency.svg` (against the number of clients, both axes
//! logarithmic) there.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result};
use book_bench::load::{Exchange, Level, measure, raise_open_files_limit};
use book_bench::plot::{Corner, Line, LineChart, line_chart};
use book_bench::results::Table;
use book_support::ServerProcess;
use book_support::cli::run;
use book_support::machine::cores;
use ch5_socketserver::app::{Listen, Model, Options, run_upper_server};
use ch5_socketserver::request::StreamOptions;
use ch5_socketserver::transport::{BindOptions, MAX_PACKET_SIZE};
use ch5_socketserver::upper::{self, Upper};
use clap::Parser;

/// Measures the upper-casing servers on loopback.
#[derive(Parser, Debug)]
struct Args {
    /// Seconds of round trips at each level.
    #[arg(long, default_value_t = 2.0)]
    seconds: f64,
    /// The numbers of concurrent clients.
    #[arg(long, value_delimiter = ',', default_value = "1,10,100,1000")]
    clients: Vec<usize>,
    /// The servers: rust-threading, rust-forking, python (the article's
    /// example as it is: a backlog of 5), python-backlog (with 1024).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "rust-threading,rust-forking,python,python-backlog"
    )]
    servers: Vec<String>,
    /// Write results.csv, rate.svg and latency.svg into this folder (made
    /// if missing); without it, only the table is printed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Redraw the plots in `--out` from its results.csv; measure nothing.
    #[arg(long, requires = "out")]
    plot_only: bool,
    /// (Internal) be the Rust server with this model.
    #[arg(long, hide = true)]
    serve: Option<Model>,
}

/// What the load generator's clients say: the lines protocol, each round
/// trip made by the same function as `upper-client`'s.
const LINES: Exchange = Exchange {
    round_trip: upper::round_trip,
    answer: |message| message.to_ascii_uppercase(),
};

/// The Rust server as the benchmark runs it: its own process, a backlog of
/// 1024, room for 1,100 children.
fn serve(model: Model) -> Result<()> {
    run_upper_server(Options {
        listen: Listen::Tcp("127.0.0.1".into(), 0),
        model,
        bind: BindOptions::default(),
        stream: StreamOptions::default(),
        max_children: 1100,
        max_packet_size: MAX_PACKET_SIZE,
        upper: Upper::default(),
    })
}

/// The article's `ThreadingTCPServer` example, in chapter 5's crate.
const PYTHON_SERVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../chapters/ch5-socketserver/python/article_server.py"
);

fn start(name: &str) -> Result<ServerProcess> {
    let command = match name {
        "rust-threading" | "rust-forking" => {
            let mut c = Command::new(std::env::current_exe()?);
            let model = if name == "rust-threading" {
                "threading"
            } else {
                "forking"
            };
            c.args(["--serve", model]);
            c
        }
        "python" | "python-backlog" => {
            let mut c = Command::new("python3");
            c.arg(PYTHON_SERVER);
            c.args(["--port", "0", "--quiet"]);
            if name == "python-backlog" {
                c.args(["--backlog", "1024"]);
            }
            c
        }
        other => anyhow::bail!("unknown server {other:?}"),
    };
    ServerProcess::spawn(command).with_context(|| format!("cannot start the {name} server"))
}

/// The columns of `results.csv`.
const COLUMNS: [&str; 8] = [
    "server",
    "clients",
    "round_trips_per_s",
    "p50_us",
    "p99_us",
    "errors",
    "listen_overflows",
    "slowest_connect_ms",
];

// ANCHOR: plots
/// Draws the plots from the results table: one line per server.
fn draw(table: &Table, out: &Path) -> Result<()> {
    let servers = table.texts("server")?;
    let clients = table.numbers("clients")?;
    let mut names: Vec<&str> = Vec::new();
    for s in &servers {
        if !names.contains(s) {
            names.push(s);
        }
    }
    let plots = [
        (
            "rate.svg",
            "Upper-casing servers: round trips per second",
            "round_trips_per_s",
            "round trips per second",
            Corner::LowerLeft,
        ),
        (
            "latency.svg",
            "Upper-casing servers: p99 latency of one round trip",
            "p99_us",
            "p99 latency (µs)",
            Corner::UpperLeft,
        ),
    ];
    for (file, title, column, y_label, legend) in plots {
        let values = table.numbers(column)?;
        let lines = names
            .iter()
            .map(|name| Line {
                name: name.to_string(),
                points: (0..servers.len())
                    .filter(|&i| servers[i] == *name)
                    .filter_map(|i| Some((clients[i]?, values[i]?)))
                    .collect(),
            })
            .collect();
        let chart = LineChart {
            title: title.into(),
            x_label: "concurrent clients".into(),
            y_label: y_label.into(),
            lines,
            legend,
        };
        line_chart(&out.join(file), &chart)?;
    }
    Ok(())
}
// ANCHOR_END: plots

fn micros(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e6)
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        if let Some(model) = args.serve {
            return serve(model);
        }
        if let (true, Some(out)) = (args.plot_only, &args.out) {
            return draw(&Table::read(&out.join("results.csv"))?, out);
        }
        let most = args.clients.iter().copied().max().unwrap_or(1) as u64;
        // The clients' sockets here, and the servers' (children inherit it).
        if let Some((old, new)) = raise_open_files_limit(most * 4 + 256)? {
            println!("raised the open-files limit from {old} to {new}");
        }
        println!(
            "upper-bench: {} s a level, loopback, {} cores, one client thread per connection",
            args.seconds,
            cores()
        );
        println!(
            "{:<15} {:>7} {:>13} {:>8} {:>8} {:>6} {:>9} {:>12}",
            "server",
            "clients",
            "round trips/s",
            "p50 µs",
            "p99 µs",
            "errors",
            "overflows",
            "connect max"
        );
        let mut results: Vec<(String, Level)> = Vec::new();
        for name in &args.servers {
            let server = start(name)?;
            let addr = server.socket_addr()?;
            for &clients in &args.clients {
                let level = measure(addr, clients, Duration::from_secs_f64(args.seconds), LINES)?;
                println!(
                    "{:<15} {:>7} {:>13.0} {:>8} {:>8} {:>6} {:>9} {:>9} ms",
                    name,
                    clients,
                    level.rate(),
                    micros(level.p50),
                    micros(level.p99),
                    level.errors,
                    level.listen_overflows,
                    level.slowest_connect.as_millis()
                );
                if let Some(e) = &level.first_error {
                    println!("  first error: {e}");
                }
                results.push((name.clone(), level));
            }
            server.terminate()?;
            server.wait_for_exit(Duration::from_secs(10));
        }
        let rate = |name: &str, clients: usize| {
            results
                .iter()
                .find(|(n, l)| n == name && l.clients == clients)
                .map(|(_, l)| l.rate())
        };
        for python in ["python", "python-backlog"] {
            for clients in [100, 1000] {
                if let (Some(rust), Some(py)) =
                    (rate("rust-threading", clients), rate(python, clients))
                {
                    println!(
                        "at {clients} clients: rust-threading / {python} = {:.1}x",
                        rust / py
                    );
                }
            }
        }
        if let Some(out) = &args.out {
            let mut table = Table::new(&COLUMNS);
            for (name, level) in &results {
                table.push(vec![
                    name.clone(),
                    level.clients.to_string(),
                    format!("{:.0}", level.rate()),
                    micros(level.p50),
                    micros(level.p99),
                    level.errors.to_string(),
                    level.listen_overflows.to_string(),
                    level.slowest_connect.as_millis().to_string(),
                ]);
            }
            std::fs::create_dir_all(out)?;
            table.write(&out.join("results.csv"))?;
            draw(&table, out)?;
            println!(
                "wrote results.csv, rate.svg, latency.svg in {}",
                out.display()
            );
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_articles_python_server_is_where_the_benchmark_looks() {
        assert!(Path::new(PYTHON_SERVER).is_file(), "no {PYTHON_SERVER}");
    }
}
