//! Chapter 4's benchmark (not a test): loopback only, bounded.
//!
//! ```text
//! cargo build --release -p ch4-ftp --bins
//! cargo run --release -p book-bench --bin ftp-bench -- --size-mib 1024
//! ```
//!
//! It starts the chapter's own `ftp-server` and `ftp-client` from the
//! folder it is in itself (`target/release`), so the chapter's programs are
//! built first, with the same profile.
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
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use book_bench::plot::{BarChart, Baseline, Corner, Series, bar_chart};
use book_bench::results::Table;
use book_bench::usage::{Waited, peak_rss_mib, thread_cpu_secs, wait_with_usage};
use book_support::ServerProcess;
use book_support::cli::run;
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
const COLUMNS: [&str; 8] = [
    "measurement",
    "label",
    "file_mib",
    "mb_per_s",
    "sender_cpu_s",
    "receiver_cpu_s",
    "client_peak_mib",
    "server_peak_mib",
];

/// The downloads, as the plots name them (`measurement` ids).
const DOWNLOADS: [(&str, &str); 6] = [
    ("framed-cold", "framed, cold"),
    ("framed-warm", "framed, warm"),
    ("blake3-cold", "blake3, cold"),
    ("blake3-warm", "blake3, warm"),
    ("article-rust", "article, Rust"),
    ("article-python", "article, Python"),
];

/// One measurement: a line of the printed table and a row of `results.csv`.
#[derive(Debug)]
struct Row {
    /// The `measurement` id.
    id: &'static str,
    /// What was measured, as the table says it.
    label: &'static str,
    mb_per_s: f64,
    /// CPU time of the thread that sends, where it is one of ours.
    sender_cpu_s: Option<f64>,
    /// CPU time of the receiving thread, or of the whole client program
    /// (all its threads) in a download.
    receiver_cpu_s: Option<f64>,
    client_peak_mib: Option<f64>,
    server_peak_mib: Option<f64>,
}

impl Row {
    /// A row with only a speed: `bytes` in `secs` seconds.
    fn speed(id: &'static str, label: &'static str, bytes: u64, secs: f64) -> Row {
        Row {
            id,
            label,
            mb_per_s: mbps(bytes, secs),
            sender_cpu_s: None,
            receiver_cpu_s: None,
            client_peak_mib: None,
            server_peak_mib: None,
        }
    }

    /// The row's line of the printed table.
    fn line(&self) -> String {
        let mut line = format!("{:<44} {:>8.0} MB/s", self.label, self.mb_per_s);
        if let Some(cpu) = self.sender_cpu_s {
            line.push_str(&format!("   sender CPU {cpu:.2} s"));
        }
        if let Some(cpu) = self.receiver_cpu_s {
            // A download's receiver is the whole client program.
            let who = match self.client_peak_mib {
                Some(_) => "client",
                None => "receiver",
            };
            line.push_str(&format!("   {who} CPU {cpu:.2} s"));
        }
        if let Some(client) = self.client_peak_mib {
            line.push_str(&format!("   client peak {client:.1} MiB"));
            if let Some(server) = self.server_peak_mib {
                line.push_str(&format!(", server peak {server:.1} MiB"));
            }
        }
        line
    }

    /// The row's cells in `results.csv`: empty where there is no number.
    fn cells(&self, file_mib: u64) -> Vec<String> {
        let cell =
            |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
        vec![
            self.id.into(),
            self.label.into(),
            file_mib.to_string(),
            format!("{:.1}", self.mb_per_s),
            cell(self.sender_cpu_s, 3),
            cell(self.receiver_cpu_s, 3),
            cell(self.client_peak_mib, 1),
            cell(self.server_peak_mib, 1),
        ]
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
            title: format!("Downloading a {size:.0} MiB file, its digest checked"),
            x_label: "download (cold: the server hashes first; warm: digest kept)".into(),
            y_label: "download speed (MB/s)".into(),
            groups: groups.clone(),
            series: vec![Series {
                name: "whole download, digest checked".into(),
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

/// BLAKE3 of the file, read a chunk at a time as `md5_in_process` does;
/// the seconds it took.
fn blake3_in_process(path: &Path) -> Result<f64> {
    let start = Instant::now();
    let mut file = File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0; ch4_ftp::CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    std::hint::black_box(hasher.finalize());
    Ok(start.elapsed().as_secs_f64())
}

/// What one [`raw_send`] took: seconds, and the CPU time of the sending
/// and of the receiving thread.
struct Sent {
    secs: f64,
    sender_cpu_s: f64,
    receiver_cpu_s: f64,
}

/// Sends the file over loopback with `method` to a reader that discards
/// it, or with `into`, writes it to that new file, as a download must.
fn raw_send(path: &Path, len: u64, method: SendMethod, into: Option<PathBuf>) -> Result<Sent> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let reader = thread::spawn(move || -> std::io::Result<(u64, f64)> {
        let (mut s, _) = listener.accept()?;
        let cpu = thread_cpu_secs();
        let mut file = into.as_ref().map(File::create).transpose()?;
        let mut buf = vec![0; ch4_ftp::CHUNK];
        let mut total = 0;
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                let cpu = thread_cpu_secs() - cpu;
                if let Some(path) = &into {
                    fs::remove_file(path)?;
                }
                return Ok((total, cpu));
            }
            if let Some(file) = &mut file {
                file.write_all(&buf[..n])?;
            }
            total += n as u64;
        }
    });
    let stream = TcpStream::connect(addr)?;
    let mut file = File::open(path)?;
    let cpu = thread_cpu_secs();
    let start = Instant::now();
    send_file_range(&stream, &mut file, 0, len, method)?;
    drop(stream);
    let (got, receiver_cpu_s) = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reader panicked"))??;
    let secs = start.elapsed().as_secs_f64();
    if got != len {
        bail!("sent {len}, received {got}");
    }
    Ok(Sent {
        secs,
        sender_cpu_s: thread_cpu_secs() - cpu,
        receiver_cpu_s,
    })
}

/// A server of the benchmark, started as the tests start one: its port
/// read from its `listening on` line.
struct Served {
    server: ServerProcess,
    port: String,
}

fn start_server(cmd: Command) -> Result<Served> {
    let server = ServerProcess::spawn(cmd)?;
    let port = server.port()?;
    Ok(Served { server, port })
}

/// Stops a server and returns its peak memory in MiB.
fn stop(mut served: Served) -> f64 {
    let peak = peak_rss_mib(served.server.pid());
    served.server.kill();
    peak
}

/// Runs a client command with `get NAME` on stdin in `down`; returns the
/// seconds it took and what the client used (peak memory, CPU time).
fn download(mut cmd: Command, name: &str, down: &Path) -> Result<(f64, Waited)> {
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
    let used = wait_with_usage(child);
    let secs = start.elapsed().as_secs_f64();
    if !used.ok {
        bail!("the client failed");
    }
    Ok((secs, used))
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        if let (true, Some(out)) = (args.plot_only, &args.out) {
            return draw(&Table::read(&out.join("results.csv"))?, out);
        }
        let setup = Setup::prepare(args.size_mib)?;
        println!(
            "file: {} MiB of pseudo-random bytes, in the page cache",
            args.size_mib
        );
        let mut rows = Vec::new();
        show(&mut rows, md5_alone(&setup)?);
        show(&mut rows, loopback(&setup)?);
        show(&mut rows, framed_downloads(&setup)?);
        show(&mut rows, article_download(&setup)?);
        if !args.no_python {
            show(&mut rows, python_download(&setup)?);
        }
        let table = results(&rows, args.size_mib);
        for line in summary(&table)? {
            println!("{line}");
        }
        if let Some(out) = &args.out {
            fs::create_dir_all(out)?;
            table.write(&out.join("results.csv"))?;
            draw(&table, out)?;
            println!(
                "wrote results.csv, downloads.svg, memory.svg in {}",
                out.display()
            );
        }
        Ok(())
    })
}

/// Prints `new` rows as lines of the table and keeps them.
fn show(rows: &mut Vec<Row>, new: Vec<Row>) {
    for row in &new {
        println!("{}", row.line());
    }
    rows.extend(new);
}

/// The test file's name, in the served folder and in the download folder.
const NAME: &str = "big.bin";

/// Where the benchmark works: the test file, the folders, the programs.
struct Setup {
    /// The folder of `ftp-server` and `ftp-client`: this program's own,
    /// where cargo puts every program of the workspace it builds.
    bin: PathBuf,
    /// The served folder, which holds the test file.
    root: PathBuf,
    /// Where the clients save.
    down: PathBuf,
    /// The test file.
    file: PathBuf,
    /// Its length in bytes.
    len: u64,
    /// Its md5, which every download must have.
    digest: String,
    /// The folder of all the above, removed at the end.
    _work: tempfile::TempDir,
}

impl Setup {
    /// Makes the test file of `size_mib` MiB and reads it once, which puts
    /// it in the page cache and gives its digest.
    fn prepare(size_mib: u64) -> Result<Setup> {
        let bin = std::env::current_exe()?
            .parent()
            .context("no folder")?
            .to_path_buf();
        for program in ["ftp-server", "ftp-client"] {
            ensure!(
                bin.join(program).is_file(),
                "no {program} in {}: build chapter 4's programs first, with the same \
                 profile as this one (`cargo build --release -p ch4-ftp --bins`)",
                bin.display()
            );
        }
        let work = tempfile::Builder::new().prefix("ftp-bench-").tempdir()?;
        let root = work.path().join("root");
        let down = work.path().join("down");
        fs::create_dir_all(&root)?;
        fs::create_dir_all(&down)?;
        let file = root.join(NAME);
        let len = size_mib << 20;
        make_file(&file, len)?;
        let (digest, _) = md5_in_process(&file)?; // warms the page cache
        Ok(Setup {
            bin,
            root,
            down,
            file,
            len,
            digest,
            _work: work,
        })
    }

    /// `ftp-server` serving the root in `protocol`, on a port of the OS's choice.
    fn server(&self, protocol: &str) -> Command {
        let mut cmd = Command::new(self.bin.join("ftp-server"));
        cmd.args(["--port", "0", "--root"])
            .arg(&self.root)
            .args(["--protocol", protocol]);
        cmd
    }

    /// `ftp-client` for `port` in `protocol`, with no progress bar.
    fn client(&self, port: &str, protocol: &str) -> Command {
        let mut cmd = Command::new(self.bin.join("ftp-client"));
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
    }

    /// Runs `client` to download the test file (see [`download`]).
    fn download(&self, client: Command) -> Result<(f64, Waited)> {
        download(client, NAME, &self.down)
    }

    /// Checks the downloaded copy against the digest, then removes it.
    fn check_download(&self) -> Result<()> {
        check(&self.down.join(NAME), &self.digest)
    }
}

/// md5 alone: the md-5 crate in this process, and `md5sum` where there is
/// one; then BLAKE3 alone, the `blake3` crate on one core.
fn md5_alone(setup: &Setup) -> Result<Vec<Row>> {
    let (_, secs) = md5_in_process(&setup.file)?;
    let label = "md5, md-5 crate, one core";
    let mut rows = vec![Row::speed("md5-crate", label, setup.len, secs)];
    let secs = blake3_in_process(&setup.file)?;
    let label = "blake3, blake3 crate, one core";
    rows.push(Row::speed("blake3-crate", label, setup.len, secs));
    let start = Instant::now();
    let md5sum = Command::new("md5sum")
        .arg(&setup.file)
        .stdout(Stdio::null())
        .status();
    if md5sum.is_ok_and(|s| s.success()) {
        let secs = start.elapsed().as_secs_f64();
        rows.push(Row::speed("md5sum", "md5sum", setup.len, secs));
    }
    Ok(rows)
}

/// Raw loopback throughput with each send method, and the sender's CPU
/// time.
fn loopback(setup: &Setup) -> Result<Vec<Row>> {
    let methods = [
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
    ];
    let mut rows = Vec::new();
    for (id, label, method) in methods {
        let sent = raw_send(&setup.file, setup.len, method, None)?;
        rows.push(Row {
            sender_cpu_s: Some(sent.sender_cpu_s),
            receiver_cpu_s: Some(sent.receiver_cpu_s),
            ..Row::speed(id, label, setup.len, sent.secs)
        });
    }
    // A download must also write every byte into a new file: the same,
    // with the receiving thread writing what it receives, hash or no hash.
    let into = Some(setup.down.join("raw.bin"));
    let sent = raw_send(&setup.file, setup.len, SendMethod::Sendfile, into)?;
    let label = "loopback, sendfile, into a new file";
    rows.push(Row {
        sender_cpu_s: Some(sent.sender_cpu_s),
        receiver_cpu_s: Some(sent.receiver_cpu_s),
        ..Row::speed("loopback-sendfile-file", label, setup.len, sent.secs)
    });
    Ok(rows)
}

/// Framed downloads from one server: cold (the server hashes the file
/// before it sends it) and warm (the digest is cached), checked with md5,
/// then the same two checked with BLAKE3 (`ftp-client --hash blake3`).
fn framed_downloads(setup: &Setup) -> Result<Vec<Row>> {
    // In this order, from one server: the first download of each digest
    // makes the server hash the file before it sends it; the next finds the
    // digest cached.
    let downloads = [
        (
            "framed-cold",
            "framed get, server hashes first (cold)",
            "md5",
        ),
        ("framed-warm", "framed get, digest cached (warm)", "md5"),
        (
            "blake3-cold",
            "blake3 get, server hashes first (cold)",
            "blake3",
        ),
        ("blake3-warm", "blake3 get, digest cached (warm)", "blake3"),
    ];
    let served = start_server(setup.server("framed"))?;
    let mut rows = Vec::new();
    for (id, label, hash) in downloads {
        let mut client = setup.client(&served.port, "framed");
        client.args(["--hash", hash]);
        let (secs, client) = setup.download(client)?;
        setup.check_download()?;
        rows.push(Row {
            receiver_cpu_s: Some(client.cpu_secs),
            client_peak_mib: Some(client.peak_mib),
            ..Row::speed(id, label, setup.len, secs)
        });
    }
    // The server's peak, once it has served them all, goes with the warm rows.
    let server_peak = stop(served);
    for row in rows.iter_mut().filter(|row| row.id.ends_with("-warm")) {
        row.server_peak_mib = Some(server_peak);
    }
    Ok(rows)
}

/// A download in the article's protocol, with Rust at both ends.
fn article_download(setup: &Setup) -> Result<Vec<Row>> {
    let served = start_server(setup.server("article"))?;
    let (secs, client) = setup.download(setup.client(&served.port, "article"))?;
    let server_peak = stop(served);
    setup.check_download()?;
    let label = "article protocol, Rust both ends (cold)";
    Ok(vec![Row {
        receiver_cpu_s: Some(client.cpu_secs),
        client_peak_mib: Some(client.peak_mib),
        server_peak_mib: Some(server_peak),
        ..Row::speed("article-rust", label, setup.len, secs)
    }])
}

/// The folder of the article's Python programs, in chapter 4's crate.
const PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../chapters/ch4-ftp/python");

/// A download with the article's Python programs at both ends; no row
/// where there is no `python3`.
fn python_download(setup: &Setup) -> Result<Vec<Row>> {
    if Command::new("python3").arg("--version").output().is_err() {
        return Ok(Vec::new());
    }
    let python = |name: &str| Path::new(PYTHON).join(name);
    let mut cmd = Command::new("python3");
    cmd.arg(python("article_server.py"))
        .args(["--port", "0"])
        .current_dir(&setup.root);
    let served = start_server(cmd)?;
    let mut cmd = Command::new("python3");
    cmd.arg(python("article_client.py"))
        .args(["--port", &served.port]);
    let (secs, client) = setup.download(cmd)?;
    let server_peak = stop(served);
    setup.check_download()?;
    let label = "article's Python programs";
    Ok(vec![Row {
        receiver_cpu_s: Some(client.cpu_secs),
        client_peak_mib: Some(client.peak_mib),
        server_peak_mib: Some(server_peak),
        ..Row::speed("article-python", label, setup.len, secs)
    }])
}

/// The rows as the table of `results.csv`.
fn results(rows: &[Row], file_mib: u64) -> Table {
    let mut table = Table::new(&COLUMNS);
    for row in rows {
        table.push(row.cells(file_mib));
    }
    table
}

/// The warm framed downloads beside their baselines: md5 alone and the
/// article's Python programs for the md5 path; loopback `sendfile` and the
/// md5 path for the BLAKE3 one. Computed from the table, as `results.csv`
/// rounds the speeds.
fn summary(table: &Table) -> Result<Vec<String>> {
    let ids = table.texts("measurement")?;
    let speeds = table.numbers("mb_per_s")?;
    let speed = |id: &str| ids.iter().position(|i| *i == id).and_then(|i| speeds[i]);
    let mut lines = Vec::new();
    if let (Some(warm), Some(md5)) = (speed("framed-warm"), speed("md5-crate")) {
        let mut line = format!(
            "framed get (warm) = {:.0}% of md5 alone",
            100.0 * warm / md5
        );
        if let Some(python) = speed("article-python") {
            line.push_str(&format!(
                ", {:.1}x the article's Python programs",
                warm / python
            ));
        }
        lines.push(line);
    }
    if let (Some(b3), Some(sendfile)) = (speed("blake3-warm"), speed("loopback-sendfile")) {
        let mut line = format!(
            "framed get with blake3 (warm) = {:.0}% of loopback sendfile",
            100.0 * b3 / sendfile
        );
        if let Some(into_file) = speed("loopback-sendfile-file") {
            line.push_str(&format!(
                ", {:.0}% of sendfile into a new file",
                100.0 * b3 / into_file
            ));
        }
        if let Some(md5) = speed("framed-warm") {
            line.push_str(&format!(", {:.1}x the md5 path", b3 / md5));
        }
        lines.push(line);
    }
    Ok(lines)
}

fn check(path: &Path, digest: &str) -> Result<()> {
    let (got, _) = md5_in_process(path)?;
    if got != digest {
        bail!("{} arrived damaged", path.display());
    }
    fs::remove_file(path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_articles_python_programs_are_where_the_benchmark_looks() {
        for name in ["article_server.py", "article_client.py"] {
            let path = Path::new(PYTHON).join(name);
            assert!(path.is_file(), "no {}", path.display());
        }
    }
}
