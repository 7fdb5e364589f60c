//! Round trips per second, the article's protocol against the framed one.
//!
//! ```text
//! cargo run --release -p ch3-ssh --bin ssh-bench
//! ```
//!
//! Starts a quiet server on loopback in this process, measures one bare TCP
//! round trip, then, for each protocol over a connection of its own, runs a
//! trivial command (`true`) many times and a command with a 10 MB output a
//! few times, the two protocols taking turns in five rounds. Not a test:
//! numbers vary from run to run, so compare the two protocols within one run.

use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
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
}

const BIG_COMMAND: &str = "head -c 10000000 /dev/zero";
const BIG_SIZE: usize = 10_000_000;

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let config = Config {
            limits: Limits {
                time_limit: Duration::from_secs(60),
                max_output: 64 << 20,
            },
            quiet: true,
            ..Config::default()
        };
        thread::spawn(move || serve_forever(listener, config));
        let cores = thread::available_parallelism().map_or(0, |n| n.get());
        println!("ssh-bench on loopback, {cores} cores; server and client in one process");

        let round_trip = loopback_round_trip(2000)?;
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
            let each = total / args.big;
            println!(
                "  {name:<8} {:>8.1} requests/s    ({:>6.1} ms each, {:>6.0} MB/s)",
                1.0 / each.as_secs_f64(),
                each.as_secs_f64() * 1e3,
                BIG_SIZE as f64 / each.as_secs_f64() / 1e6
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
