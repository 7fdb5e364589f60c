//! Sends one file over loopback four ways and prints MB/s for each, side by
//! side in one run, and (with strace installed) the system calls each way
//! makes.
//!
//! ```text
//! cargo run --release -p ch2-api --bin api-bench
//! cargo run --release -p ch2-api --bin api-bench -- --size-mib 256 --no-syscalls
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, ExitCode};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
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

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        if let Some(name) = &args.one {
            let method = Method::parse(name).context("unknown method")?;
            let file = args.file.as_deref().context("--one needs --file")?;
            transfer(method, Path::new(file))?;
            return Ok(());
        }
        let tmp = make_file(args.size_mib)?;
        say(format!(
            "sending a {} MiB file over 127.0.0.1, each way in turn ({} cores)",
            args.size_mib,
            thread::available_parallelism().map_or(0, |n| n.get())
        ));
        for method in Method::all() {
            let (bytes, elapsed) = transfer(method, tmp.path())?;
            say(format!(
                "{:<9} {:>7.0} MB/s  ({bytes} bytes in {:.2} s)",
                method.name(),
                bytes as f64 / elapsed.as_secs_f64() / 1e6,
                elapsed.as_secs_f64()
            ));
        }
        if args.no_syscalls {
            return Ok(());
        }
        if Command::new("strace").arg("-V").output().is_err() {
            say("strace not found: system calls not counted");
            return Ok(());
        }
        let small = make_file(args.strace_size_mib)?;
        say(format!(
            "system calls for a {} MiB file (strace -f -c; sender and receiver threads):",
            args.strace_size_mib
        ));
        let shown = [
            "read",
            "write",
            "sendto",
            "recvfrom",
            "sendfile",
            "splice",
            "copy_file_range",
            "poll",
        ];
        for method in Method::all() {
            let calls = count_syscalls(method, small.path())?;
            let parts: Vec<String> = shown
                .iter()
                .filter_map(|name| calls.get(*name).map(|n| format!("{name} {n}")))
                .collect();
            say(format!("{:<9} {}", method.name(), parts.join(", ")));
        }
        Ok(())
    })
}
