//! The chapter's benchmark (not a test): loopback only, bounded.
//!
//! ```text
//! cargo build --release -p ch4-ftp --bins
//! target/release/ftp-bench --size-mib 1024
//! ```
//!
//! It measures, on one file from the page cache: md5 alone (the md-5 crate
//! in this process, and `md5sum`), raw loopback throughput with each send
//! method and the sender's CPU time, and whole downloads with the real
//! `ftp-server` and `ftp-client` (framed and article protocols) and with
//! the article's Python programs, with the peak memory of each process.
//! With `--out DIR` it also writes `results.csv` (one row per measurement)
//! and the plots `downloads.svg` (MB/s of each download against md5 alone)
//! and `memory.svg` (the peak memory of each end) there.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use book_support::cli::run;
use book_support::plot::{BarChart, Baseline, Corner, Series, Table, bar_chart};
use ch4_ftp::send::{SendMethod, send_file_range};
use clap::Parser;
use md5::{Digest, Md5};

/// Measures md5, loopback sending and whole downloads on one file.
#[derive(Parser, Debug)]
struct Args {
    /// The test file's size in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Skip the article's Python programs.
    #[arg(long)]
    no_python: bool,
    /// Write results.csv, downloads.svg and memory.svg into this folder
    /// (made if missing); without it, only the table is printed.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Redraw the plots in `--out` from its results.csv; measure nothing.
    #[arg(long, requires = "out")]
    plot_only: bool,
}

/// The columns of `results.csv`; a cell is empty where the measurement
/// has no such number.
const COLUMNS: [&str; 7] = [
    "measurement",
    "label",
    "file_mib",
    "mb_per_s",
    "sender_cpu_s",
    "client_peak_mib",
    "server_peak_mib",
];

/// The downloads, as the plots name them (`measurement` ids).
const DOWNLOADS: [(&str, &str); 4] = [
    ("framed-cold", "framed, cold"),
    ("framed-warm", "framed, warm"),
    ("article-rust", "article, Rust"),
    ("article-python", "article, Python"),
];

/// The rows of `results.csv`, in the order measured.
#[derive(Debug)]
struct Results {
    table: Table,
    file_mib: u64,
}

impl Results {
    fn add(&mut self, id: &str, label: &str, mb_per_s: f64, numbers: [Option<f64>; 3]) {
        let cell =
            |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
        self.table.push(vec![
            id.into(),
            label.into(),
            self.file_mib.to_string(),
            format!("{mb_per_s:.1}"),
            cell(numbers[0], 3),
            cell(numbers[1], 1),
            cell(numbers[2], 1),
        ]);
    }
}

// ANCHOR: plots
/// Draws the plots from the results table.
fn draw(table: &Table, out: &Path) -> Result<()> {
    let ids = table.texts("measurement")?;
    let mbps = table.numbers("mb_per_s")?;
    let client = table.numbers("client_peak_mib")?;
    let server = table.numbers("server_peak_mib")?;
    let size = table
        .numbers("file_mib")?
        .first()
        .copied()
        .flatten()
        .unwrap_or(0.0);
    let find = |id: &str| ids.iter().position(|i| *i == id);
    let shown: Vec<(usize, &str)> = DOWNLOADS
        .iter()
        .filter_map(|(id, label)| find(id).map(|i| (i, *label)))
        .collect();
    let groups: Vec<String> = shown.iter().map(|(_, label)| label.to_string()).collect();
    let md5 = find("md5-crate").and_then(|i| mbps[i]);
    bar_chart(
        &out.join("downloads.svg"),
        &BarChart {
            title: format!("Downloading a {size:.0} MiB file with md5 at both ends"),
            x_label: "download (cold: the server hashes first; warm: digest kept)".into(),
            y_label: "download speed (MB/s)".into(),
            groups: groups.clone(),
            series: vec![Series {
                name: "whole download, md5 checked".into(),
                values: shown.iter().map(|(i, _)| mbps[*i]).collect(),
            }],
            baseline: md5.map(|value| Baseline {
                name: "md5 alone, one core".into(),
                value,
            }),
            log_y: false,
            legend: Corner::UpperRight,
        },
    )?;
    bar_chart(
        &out.join("memory.svg"),
        &BarChart {
            title: format!("Peak memory while downloading a {size:.0} MiB file"),
            x_label: "download".into(),
            y_label: "peak resident memory (MiB)".into(),
            groups,
            series: vec![
                Series {
                    name: "client".into(),
                    values: shown.iter().map(|(i, _)| client[*i]).collect(),
                },
                Series {
                    name: "server".into(),
                    values: shown.iter().map(|(i, _)| server[*i]).collect(),
                },
            ],
            baseline: None,
            log_y: false,
            legend: Corner::UpperLeft,
        },
    )
}
// ANCHOR_END: plots

fn mbps(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

/// CPU time (user + system) of the calling thread, in seconds.
fn thread_cpu() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage struct.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

fn make_file(path: &Path, bytes: u64) -> Result<()> {
    let mut out = std::io::BufWriter::new(File::create(path)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..bytes >> 20 {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        out.write_all(&block)?;
    }
    out.flush()?;
    Ok(())
}

fn md5_in_process(path: &Path) -> Result<(String, f64)> {
    let start = Instant::now();
    let mut file = File::open(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0; ch4_ftp::CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
    }
    let secs = start.elapsed().as_secs_f64();
    Ok((ch4_ftp::digest::hex(md5), secs))
}

/// Sends the file over loopback with `method` to a reader that discards it.
fn raw_send(path: &Path, len: u64, method: SendMethod) -> Result<(f64, f64)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let reader = thread::spawn(move || -> std::io::Result<u64> {
        let (mut s, _) = listener.accept()?;
        let mut buf = vec![0; ch4_ftp::CHUNK];
        let mut total = 0;
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Ok(total);
            }
            total += n as u64;
        }
    });
    let stream = TcpStream::connect(addr)?;
    let mut file = File::open(path)?;
    let cpu = thread_cpu();
    let start = Instant::now();
    send_file_range(&stream, &mut file, 0, len, method)?;
    drop(stream);
    let got = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;
    let secs = start.elapsed().as_secs_f64();
    if got != len {
        bail!("sent {len}, received {got}");
    }
    Ok((secs, thread_cpu() - cpu))
}

/// Peak resident memory of a running process, from /proc, in MiB.
fn peak_mib(pid: u32) -> f64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Waits for a child and returns (success, peak memory in MiB) via wait4.
fn wait_with_peak(child: Child) -> (bool, f64) {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers; the child is ours and not yet waited for.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let ok = r == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    (ok, usage.ru_maxrss as f64 / 1024.0)
}

/// A server process and its port.
struct Served {
    child: Child,
    port: String,
    // Kept open: a server whose stdout is closed dies at its next print.
    _stdout: BufReader<std::process::ChildStdout>,
}

fn start_server(mut cmd: Command) -> Result<Served> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().context("stdout")?);
    stdout.read_line(&mut line)?;
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .filter(|_| line.starts_with("listening on "))
        .with_context(|| format!("unexpected first line {line:?}"))?
        .to_string();
    Ok(Served {
        child,
        port,
        _stdout: stdout,
    })
}

fn stop(mut served: Served) -> f64 {
    let peak = peak_mib(served.child.id());
    let _ = served.child.kill();
    let _ = served.child.wait();
    peak
}

/// Runs a client command with `get NAME` on stdin in `down`; returns the
/// seconds it took and its peak memory.
fn download(mut cmd: Command, name: &str, down: &Path) -> Result<(f64, f64)> {
    let _ = fs::remove_file(down.join(name));
    let start = Instant::now();
    let mut child = cmd
        .current_dir(down)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(format!("get {name}\n").as_bytes())?;
    let (ok, peak) = wait_with_peak(child);
    let secs = start.elapsed().as_secs_f64();
    if !ok {
        bail!("the client failed");
    }
    Ok((secs, peak))
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        if let (true, Some(out)) = (args.plot_only, &args.out) {
            return draw(&Table::read(&out.join("results.csv"))?, out);
        }
        let mut results = Results {
            table: Table::new(&COLUMNS),
            file_mib: args.size_mib,
        };
        let bin = std::env::current_exe()?
            .parent()
            .context("no folder")?
            .to_path_buf();
        let work = tempfile::Builder::new().prefix("ftp-bench-").tempdir()?;
        let root = work.path().join("root");
        let down = work.path().join("down");
        fs::create_dir_all(&root)?;
        fs::create_dir_all(&down)?;
        let file = root.join("big.bin");
        let len = args.size_mib << 20;
        make_file(&file, len)?;
        println!(
            "file: {} MiB of pseudo-random bytes, in the page cache",
            args.size_mib
        );

        let (digest, _) = md5_in_process(&file)?; // warms the page cache
        let (_, secs) = md5_in_process(&file)?;
        println!(
            "{:<44} {:>8.0} MB/s",
            "md5, md-5 crate, one core",
            mbps(len, secs)
        );
        results.add(
            "md5-crate",
            "md5, md-5 crate, one core",
            mbps(len, secs),
            [None; 3],
        );
        let start = Instant::now();
        let md5sum = Command::new("md5sum")
            .arg(&file)
            .stdout(Stdio::null())
            .status();
        if md5sum.is_ok_and(|s| s.success()) {
            let secs = start.elapsed().as_secs_f64();
            println!("{:<44} {:>8.0} MB/s", "md5sum", mbps(len, secs));
            results.add("md5sum", "md5sum", mbps(len, secs), [None; 3]);
        }

        for (id, name, method) in [
            (
                "loopback-read-write",
                "loopback, read/write loop",
                SendMethod::ReadWrite,
            ),
            (
                "loopback-io-copy",
                "loopback, std::io::copy",
                SendMethod::StdCopy,
            ),
            (
                "loopback-sendfile",
                "loopback, sendfile",
                SendMethod::Sendfile,
            ),
        ] {
            let (secs, cpu) = raw_send(&file, len, method)?;
            println!(
                "{name:<44} {:>8.0} MB/s   sender CPU {cpu:.2} s",
                mbps(len, secs)
            );
            results.add(id, name, mbps(len, secs), [Some(cpu), None, None]);
        }

        let client = bin.join("ftp-client");
        let server_cmd = |protocol: &str| {
            let mut cmd = Command::new(bin.join("ftp-server"));
            cmd.args(["--port", "0", "--root"])
                .arg(&root)
                .args(["--protocol", protocol]);
            cmd
        };
        let client_cmd = |port: &str, protocol: &str| {
            let mut cmd = Command::new(&client);
            cmd.args([
                "--port",
                port,
                "--protocol",
                protocol,
                "--no-progress",
                "--timeout",
                "60",
            ]);
            cmd
        };

        let served = start_server(server_cmd("framed"))?;
        let (cold, cold_peak) = download(client_cmd(&served.port, "framed"), "big.bin", &down)?;
        let (warm, warm_peak) = download(client_cmd(&served.port, "framed"), "big.bin", &down)?;
        let server_peak = stop(served);
        check(&down.join("big.bin"), &digest)?;
        println!(
            "{:<44} {:>8.0} MB/s   client peak {cold_peak:.1} MiB",
            "framed get, server hashes first (cold)",
            mbps(len, cold)
        );
        println!(
            "{:<44} {:>8.0} MB/s   client peak {warm_peak:.1} MiB, server peak {server_peak:.1} MiB",
            "framed get, digest cached (warm)",
            mbps(len, warm)
        );
        let label = "framed get, server hashes first (cold)";
        results.add(
            "framed-cold",
            label,
            mbps(len, cold),
            [None, Some(cold_peak), None],
        );
        let label = "framed get, digest cached (warm)";
        let peaks = [None, Some(warm_peak), Some(server_peak)];
        results.add("framed-warm", label, mbps(len, warm), peaks);

        let served = start_server(server_cmd("article"))?;
        let (secs, peak) = download(client_cmd(&served.port, "article"), "big.bin", &down)?;
        let server_peak = stop(served);
        check(&down.join("big.bin"), &digest)?;
        println!(
            "{:<44} {:>8.0} MB/s   client peak {peak:.1} MiB, server peak {server_peak:.1} MiB",
            "article protocol, Rust both ends (cold)",
            mbps(len, secs)
        );
        let label = "article protocol, Rust both ends (cold)";
        let peaks = [None, Some(peak), Some(server_peak)];
        results.add("article-rust", label, mbps(len, secs), peaks);

        if !args.no_python && Command::new("python3").arg("--version").output().is_ok() {
            let python = |name: &str| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("python")
                    .join(name)
            };
            let mut cmd = Command::new("python3");
            cmd.arg(python("article_server.py"))
                .args(["--port", "0"])
                .current_dir(&root);
            let served = start_server(cmd)?;
            let mut cmd = Command::new("python3");
            cmd.arg(python("article_client.py"))
                .args(["--port", &served.port]);
            let (secs, peak) = download(cmd, "big.bin", &down)?;
            let server_peak = stop(served);
            check(&down.join("big.bin"), &digest)?;
            println!(
                "{:<44} {:>8.0} MB/s   client peak {peak:.1} MiB, server peak {server_peak:.1} MiB",
                "article's Python programs",
                mbps(len, secs)
            );
            let peaks = [None, Some(peak), Some(server_peak)];
            results.add(
                "article-python",
                "article's Python programs",
                mbps(len, secs),
                peaks,
            );
        }
        // The warm framed download beside its baselines: md5 alone, and
        // the article's Python programs.
        let ids = results.table.texts("measurement")?;
        let speeds = results.table.numbers("mb_per_s")?;
        let speed = |id: &str| ids.iter().position(|i| *i == id).and_then(|i| speeds[i]);
        if let (Some(warm), Some(md5)) = (speed("framed-warm"), speed("md5-crate")) {
            print!(
                "framed get (warm) = {:.0}% of md5 alone",
                100.0 * warm / md5
            );
            if let Some(python) = speed("article-python") {
                print!(", {:.1}x the article's Python programs", warm / python);
            }
            println!();
        }
        if let Some(out) = &args.out {
            fs::create_dir_all(out)?;
            results.table.write(&out.join("results.csv"))?;
            draw(&results.table, out)?;
            println!(
                "wrote results.csv, downloads.svg, memory.svg in {}",
                out.display()
            );
        }
        Ok(())
    })
}

fn check(path: &Path, digest: &str) -> Result<()> {
    let (got, _) = md5_in_process(path)?;
    if got != digest {
        bail!("{} arrived damaged", path.display());
    }
    fs::remove_file(path)?;
    Ok(())
}
