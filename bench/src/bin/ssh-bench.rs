//! Round trips per second, the article's protocol against the framed one.
//!
//! ```text
//! cargo run --release -p book-bench --bin ssh-bench
//! ```
//!
//! Starts a quiet server on loopback in this process, measures one bare TCP
//! round trip, then, for each protocol over a connection of its own, runs a
//! trivial command (`true`) many times and a command with a 10 MB output a
//! few times, the two protocols taking turns in five rounds. Not a test:
//! numbers vary from run to run, so compare the two protocols within one run.
//! With `--out DIR` it also writes `results.csv` (one row per protocol and
//! command) and the plots `round_trips.svg` and `throughput.svg` there.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use book_bench::plot::{BarChart, Corner, Series, bar_chart};
use book_bench::results::Table;
use ch3_ssh::exec::Limits;
use ch3_ssh::server::{Config, serve_forever};
use ch3_ssh::{article, framed};
use clap::Parser;

/// Compares the two protocols on loopback.
#[derive(Debug, Parser)]
#[command(name = "ssh-bench")]
struct Args {
    /// Round trips of `true` per protocol.
    #[arg(long, default_value_t = 500)]
    small: u32,
    /// Requests of the 10 MB output per protocol.
    #[arg(long, default_value_t = 10)]
    big: u32,
    /// Write results.csv, round_trips.svg and throughput.svg into this
    /// folder (made if missing); without it, only the table is printed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Redraw the plots in `--out` from its results.csv; measure nothing.
    #[arg(long, requires = "out")]
    plot_only: bool,
}

/// The columns of `results.csv`.
const COLUMNS: [&str; 8] = [
    "protocol",
    "command",
    "requests",
    "seconds",
    "requests_per_s",
    "us_per_request",
    "output_bytes",
    "mb_per_s",
];

/// One row of `results.csv`: `requests` of `command` took `total`, each
/// bringing back `bytes`.
fn row(protocol: &str, command: &str, requests: u32, total: Duration, bytes: usize) -> Vec<String> {
    let each = total.as_secs_f64() / f64::from(requests.max(1));
    vec![
        protocol.into(),
        command.into(),
        requests.to_string(),
        format!("{:.6}", total.as_secs_f64()),
        format!("{:.1}", 1.0 / each),
        format!("{:.1}", each * 1e6),
        bytes.to_string(),
        if bytes == 0 {
            String::new()
        } else {
            format!("{:.1}", bytes as f64 / each / 1e6)
        },
    ]
}

// ANCHOR: plots
/// Draws the plots from the results table: the two protocols side by side.
fn draw(table: &Table, out: &Path) -> Result<()> {
    let protocols = table.texts("protocol")?;
    let commands = table.texts("command")?;
    let rates = table.numbers("requests_per_s")?;
    let mbps = table.numbers("mb_per_s")?;
    let pick = |command: &str, values: &[Option<f64>]| {
        let mut groups = Vec::new();
        let mut picked = Vec::new();
        for i in 0..protocols.len() {
            if commands[i] == command && protocols[i] != "tcp-echo" {
                groups.push(protocols[i].to_string());
                picked.push(values[i]);
            }
        }
        (groups, picked)
    };
    let (groups, values) = pick("true", &rates);
    bar_chart(
        &out.join("round_trips.svg"),
        &BarChart {
            title: "Running `true` remotely: round trips per second".into(),
            x_label: "protocol (one connection, loopback)".into(),
            y_label: "round trips per second".into(),
            groups,
            series: vec![Series {
                name: "`true`, request to answer".into(),
                values,
            }],
            baseline: None,
            log_y: false,
            legend: Corner::LowerRight,
        },
    )?;
    let (groups, values) = pick(BIG_COMMAND, &mbps);
    bar_chart(
        &out.join("throughput.svg"),
        &BarChart {
            title: "A 10 MB output: MB/s per protocol".into(),
            x_label: "protocol (one connection, loopback)".into(),
            y_label: "output received (MB/s)".into(),
            groups,
            series: vec![Series {
                name: "`head -c 10000000 /dev/zero`".into(),
                values,
            }],
            baseline: None,
            log_y: false,
            legend: Corner::UpperLeft,
        },
    )
}
// ANCHOR_END: plots

const BIG_COMMAND: &str = "head -c 10000000 /dev/zero";
const BIG_SIZE: usize = 10_000_000;

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        if let (true, Some(out)) = (args.plot_only, &args.out) {
            return draw(&Table::read(&out.join("results.csv"))?, out);
        }
        let mut table = Table::new(&COLUMNS);
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let config = Config {
            limits: Limits {
                time_limit: Duration::from_secs(60),
                max_output: 64 << 20,
            },
            // The same cap for both protocols, to compare them.
            article_max_output: 64 << 20,
            quiet: true,
            ..Config::default()
        };
        thread::spawn(move || serve_forever(listener, config));
        let cores = thread::available_parallelism().map_or(0, |n| n.get());
        println!("ssh-bench on loopback, {cores} cores; server and client in one process");

        const ECHOES: u32 = 2000;
        let round_trip = loopback_round_trip(ECHOES)?;
        let echoes = round_trip * ECHOES;
        table.push(row("tcp-echo", "1 byte there and back", ECHOES, echoes, 1));
        println!(
            "one bare TCP round trip (1 byte there and back): {:.0} us",
            round_trip.as_secs_f64() * 1e6
        );
        println!("`true`, {} round trips on one connection:", args.small);
        let small = measure(addr, args.small, |name, run, stream| {
            run(stream, "true").with_context(|| format!("{name}: `true`"))?;
            Ok(())
        })?;
        for (name, total) in small {
            table.push(row(name, "true", args.small, total, 0));
            let each = total / args.small;
            println!(
                "  {name:<8} {:>8.0} round trips/s  ({:>6.0} us each)",
                1.0 / each.as_secs_f64(),
                each.as_secs_f64() * 1e6
            );
        }

        println!(
            "`{BIG_COMMAND}` (10 MB), {} requests on one connection:",
            args.big
        );
        let big = measure(addr, args.big, |name, run, stream| {
            let size = run(stream, BIG_COMMAND)?;
            ensure!(size == BIG_SIZE, "{name}: got {size} bytes, not {BIG_SIZE}");
            Ok(())
        })?;
        for (name, total) in big {
            table.push(row(name, BIG_COMMAND, args.big, total, BIG_SIZE));
            let each = total / args.big;
            println!(
                "  {name:<8} {:>8.1} requests/s    ({:>6.1} ms each, {:>6.0} MB/s)",
                1.0 / each.as_secs_f64(),
                each.as_secs_f64() * 1e3,
                BIG_SIZE as f64 / each.as_secs_f64() / 1e6
            );
        }
        // The framed protocol against the article's, the baseline.
        let rates = table.numbers("requests_per_s")?;
        if let [_, Some(a_true), Some(f_true), Some(a_big), Some(f_big)] = rates[..] {
            println!(
                "framed / article: `true` {:.2}x, 10 MB output {:.2}x",
                f_true / a_true,
                f_big / a_big
            );
        }
        if let Some(out) = &args.out {
            std::fs::create_dir_all(out)?;
            table.write(&out.join("results.csv"))?;
            draw(&table, out)?;
            println!(
                "wrote results.csv, round_trips.svg, throughput.svg in {}",
                out.display()
            );
        }
        Ok(())
    })
}

/// Runs `step` `count` times for each protocol, each over its own
/// connection, in five interleaved rounds (article, framed, article, ...)
/// so that a change in the machine's load during the run hits both alike.
/// Returns each protocol's total time.
fn measure(
    addr: std::net::SocketAddr,
    count: u32,
    step: impl Fn(&str, Run, &mut TcpStream) -> Result<()>,
) -> Result<Vec<(&'static str, Duration)>> {
    const ROUNDS: u32 = 5;
    let mut connections = Vec::new();
    for (name, run) in protocols() {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        run(&mut stream, "true")?; // warm up
        connections.push((name, run, stream, Duration::ZERO));
    }
    for round in 0..ROUNDS {
        let share = count / ROUNDS + u32::from(round < count % ROUNDS);
        for (name, run, stream, total) in &mut connections {
            let started = Instant::now();
            for _ in 0..share {
                step(name, *run, stream)?;
            }
            *total += started.elapsed();
        }
    }
    Ok(connections
        .into_iter()
        .map(|(name, _, _, total)| (name, total))
        .collect())
}

/// The cost of one round trip on loopback with no command at all: a byte
/// to an echo thread and back, `count` times. This is what the framed
/// protocol saves per command by having no acknowledgement.
fn loopback_round_trip(count: u32) -> Result<Duration> {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (mut server, _) = listener.accept()?;
    client.set_nodelay(true)?;
    server.set_nodelay(true)?;
    let echo = thread::spawn(move || -> std::io::Result<()> {
        let mut byte = [0u8; 1];
        for _ in 0..count {
            server.read_exact(&mut byte)?;
            server.write_all(&byte)?;
        }
        Ok(())
    });
    let mut byte = [7u8; 1];
    let started = Instant::now();
    for _ in 0..count {
        client.write_all(&byte)?;
        client.read_exact(&mut byte)?;
    }
    let each = started.elapsed() / count;
    echo.join()
        .map_err(|_| anyhow::anyhow!("the echo thread panicked"))??;
    Ok(each)
}

type Run = fn(&mut TcpStream, &str) -> Result<usize>;

/// Each protocol as "run this command, return how many bytes came back".
fn protocols() -> [(&'static str, Run); 2] {
    [
        ("article", |stream, command| {
            let reply = article::request(stream, command, 64 << 20)?;
            Ok(reply.result.len())
        }),
        ("framed", |stream, command| {
            let reply = framed::request(stream, command).context("framed request")?;
            ensure!(reply.status == 0, "exit status {}", reply.status);
            Ok(reply.stdout.len())
        }),
    ]
}
