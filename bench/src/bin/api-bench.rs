//! Sends one file over loopback four ways and prints MB/s for each, side by
//! side in one run, and (with strace installed) the system calls each way
//! makes. With `--out DIR` it also writes `results.csv` (one row per way)
//! and the plots `throughput.svg` and `syscalls.svg` there.
//!
//! ```text
//! cargo run --release -p book-bench --bin api-bench
//! cargo run --release -p book-bench --bin api-bench -- --size-mib 256 --no-syscalls
//! cargo run --release -p book-bench --bin api-bench -- --out book/ch2/bench
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use book_bench::plot::{BarChart, Corner, Series, bar_chart};
use book_bench::results::Table;
use ch2_api::say;
use ch2_api::sendfile::{Method, send_file};
use clap::Parser;

/// Benchmark: a file to a socket with sendfile, io::copy and read/write loops.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The size of the file sent, in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// The file size for counting system calls under strace (slow), in MiB.
    #[arg(long, default_value_t = 64)]
    strace_size_mib: u64,
    /// Skip counting system calls.
    #[arg(long)]
    no_syscalls: bool,
    /// Write results.csv, throughput.svg and syscalls.svg into this folder
    /// (made if missing); without it, only the table is printed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Redraw the plots in `--out` from its results.csv; measure nothing.
    #[arg(long, requires = "out")]
    plot_only: bool,
    /// Internal: send `--file` once with this method and exit (run under strace).
    #[arg(long, hide = true)]
    one: Option<String>,
    /// Internal: the file for `--one`.
    #[arg(long, hide = true)]
    file: Option<String>,
}

/// Sends `path` over a fresh loopback connection; returns the time until
/// the receiver has read every byte.
fn transfer(method: Method, path: &Path) -> Result<(u64, Duration)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut stream = TcpStream::connect(listener.local_addr()?)?;
    let (mut conn, _) = listener.accept()?;
    conn.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut file = File::open(path)?;
    let started = Instant::now();
    let reader = thread::spawn(move || -> std::io::Result<u64> {
        let mut buf = vec![0; 256 * 1024];
        let mut total = 0;
        loop {
            match conn.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n as u64,
            }
        }
    });
    let sent = send_file(method, &mut file, &mut stream)?;
    drop(stream);
    let received = reader
        .join()
        .map_err(|_| anyhow::anyhow!("the reader panicked"))??;
    let elapsed = started.elapsed();
    if received != sent {
        bail!(
            "{}: sent {sent} bytes but {received} arrived",
            method.name()
        );
    }
    Ok((sent, elapsed))
}

fn make_file(size_mib: u64) -> Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::NamedTempFile::new()?;
    let chunk: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    for _ in 0..size_mib {
        tmp.write_all(&chunk)?;
    }
    tmp.flush()?;
    Ok(tmp)
}

/// Runs `--one METHOD` under `strace -f -c` and returns calls per syscall.
fn count_syscalls(method: Method, path: &Path) -> Result<BTreeMap<String, u64>> {
    let out = tempfile::NamedTempFile::new()?;
    let status = Command::new("strace")
        .args(["-f", "-c", "-o"])
        .arg(out.path())
        .arg(std::env::current_exe()?)
        .args(["--one", &method.name(), "--file"])
        .arg(path)
        .status()
        .context("cannot run strace")?;
    if !status.success() {
        bail!("strace run of {} failed: {status}", method.name());
    }
    let table = std::fs::read_to_string(out.path())?;
    let mut calls = BTreeMap::new();
    for line in table.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        // % time, seconds, usecs/call, calls, [errors,] syscall
        if cols.len() >= 5 && cols[0].parse::<f64>().is_ok() {
            let name = cols[cols.len() - 1].to_string();
            if let Ok(n) = cols[3].parse() {
                calls.insert(name, n);
            }
        }
    }
    Ok(calls)
}

/// The system calls the table and the plot show, in this order.
const SHOWN: [&str; 8] = [
    "read",
    "write",
    "sendto",
    "recvfrom",
    "sendfile",
    "splice",
    "copy_file_range",
    "poll",
];

/// The columns of `results.csv`: the throughput of the big file, then the
/// system calls for the small one (empty when they were not counted).
fn columns() -> Vec<String> {
    let mut columns: Vec<String> = [
        "method",
        "file_mib",
        "bytes",
        "seconds",
        "mb_per_s",
        "strace_file_mib",
    ]
    .map(String::from)
    .to_vec();
    columns.extend(SHOWN.iter().map(|name| format!("{name}_calls")));
    columns
}

// ANCHOR: plots
/// Draws the plots from the results table.
fn draw(table: &Table, out: &Path) -> Result<()> {
    let methods: Vec<String> = table
        .texts("method")?
        .into_iter()
        .map(String::from)
        .collect();
    let size = table
        .numbers("file_mib")?
        .first()
        .copied()
        .flatten()
        .unwrap_or(0.0);
    bar_chart(
        &out.join("throughput.svg"),
        &BarChart {
            title: format!("Sending a {size:.0} MiB file over loopback, by method"),
            x_label: "how the file is sent".into(),
            y_label: "throughput (MB/s)".into(),
            groups: methods.clone(),
            series: vec![Series {
                name: "MB/s, receiver included".into(),
                values: table.numbers("mb_per_s")?,
            }],
            baseline: None,
            log_y: false,
            legend: Corner::UpperRight,
        },
    )?;
    let strace_size = table.numbers("strace_file_mib")?.first().copied().flatten();
    let Some(strace_size) = strace_size else {
        return Ok(()); // the system calls were not counted
    };
    let mut series = Vec::new();
    for name in SHOWN {
        let values = table.numbers(&format!("{name}_calls"))?;
        if name != "poll" && values.iter().any(|v| v.is_some_and(|v| v > 0.0)) {
            series.push(Series {
                name: name.into(),
                values,
            });
        }
    }
    bar_chart(
        &out.join("syscalls.svg"),
        &BarChart {
            title: format!("System calls to send a {strace_size:.0} MiB file, by method"),
            x_label: "how the file is sent (sender and receiver threads)".into(),
            y_label: "system calls (log scale)".into(),
            groups: methods,
            series,
            baseline: None,
            log_y: true,
            legend: Corner::UpperLeft,
        },
    )
}
// ANCHOR_END: plots

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        if let Some(name) = &args.one {
            let method = Method::parse(name).context("unknown method")?;
            let file = args.file.as_deref().context("--one needs --file")?;
            transfer(method, Path::new(file))?;
            return Ok(());
        }
        if let (true, Some(out)) = (args.plot_only, &args.out) {
            return draw(&Table::read(&out.join("results.csv"))?, out);
        }
        let tmp = make_file(args.size_mib)?;
        say(format!(
            "sending a {} MiB file over 127.0.0.1, each way in turn ({} cores)",
            args.size_mib,
            thread::available_parallelism().map_or(0, |n| n.get())
        ));
        let mut rows: Vec<Vec<String>> = Vec::new();
        for method in Method::all() {
            let (bytes, elapsed) = transfer(method, tmp.path())?;
            let mb_per_s = bytes as f64 / elapsed.as_secs_f64() / 1e6;
            say(format!(
                "{:<9} {:>7.0} MB/s  ({bytes} bytes in {:.2} s)",
                method.name(),
                mb_per_s,
                elapsed.as_secs_f64()
            ));
            let mut row = vec![
                method.name(),
                args.size_mib.to_string(),
                bytes.to_string(),
                format!("{:.4}", elapsed.as_secs_f64()),
                format!("{mb_per_s:.0}"),
            ];
            row.resize(columns().len(), String::new());
            rows.push(row);
        }
        // Each way beside the article's: a read/write loop with 1 KiB.
        let rate = |row: &Vec<String>| row[4].parse::<f64>().unwrap_or(0.0);
        if let Some(article) = rows.iter().find(|r| r[0] == "loop-1k").map(rate) {
            let ratios: Vec<String> = rows
                .iter()
                .filter(|r| r[0] != "loop-1k")
                .map(|r| format!("{} {:.1}x", r[0], rate(r) / article.max(1e-9)))
                .collect();
            say(format!(
                "against a 1 KiB read-and-send loop: {}",
                ratios.join(", ")
            ));
        }
        if args.no_syscalls {
            // Nothing more to measure.
        } else if Command::new("strace").arg("-V").output().is_err() {
            say("strace not found: system calls not counted");
        } else {
            let small = make_file(args.strace_size_mib)?;
            say(format!(
                "system calls for a {} MiB file (strace -f -c; sender and receiver threads):",
                args.strace_size_mib
            ));
            for (method, row) in Method::all().into_iter().zip(&mut rows) {
                let calls = count_syscalls(method, small.path())?;
                let parts: Vec<String> = SHOWN
                    .iter()
                    .filter_map(|name| calls.get(*name).map(|n| format!("{name} {n}")))
                    .collect();
                say(format!("{:<9} {}", method.name(), parts.join(", ")));
                row[5] = args.strace_size_mib.to_string();
                for (i, name) in SHOWN.iter().enumerate() {
                    row[6 + i] = calls.get(*name).copied().unwrap_or(0).to_string();
                }
            }
        }
        if let Some(out) = &args.out {
            std::fs::create_dir_all(out)?;
            let header = columns();
            let mut table = Table::new(&header.iter().map(String::as_str).collect::<Vec<_>>());
            for row in rows {
                table.push(row);
            }
            table.write(&out.join("results.csv"))?;
            draw(&table, out)?;
            let plots = if table
                .numbers("strace_file_mib")?
                .iter()
                .any(Option::is_some)
            {
                "throughput.svg, syscalls.svg"
            } else {
                "throughput.svg"
            };
            say(format!("wrote results.csv, {plots} in {}", out.display()));
        }
        Ok(())
    })
}
