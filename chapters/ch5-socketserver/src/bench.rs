//! The load generator: N clients, each a thread with one connection, doing
//! round trips (a message out, its answer back) for a fixed time.
//!
//! Loopback only, and bounded: every connect and read has a timeout, and
//! every client stops at the deadline.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crate::upper::round_trip;

/// How long a client may take to connect, or to get one answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// The result of one load level against one server.
#[derive(Debug, Clone)]
pub struct Level {
    /// Concurrent clients.
    pub clients: usize,
    /// Round trips completed within the measured time.
    pub round_trips: usize,
    /// The measured time.
    pub elapsed: Duration,
    /// Median latency of one round trip.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Clients that failed: could not connect, got a wrong answer or none.
    pub errors: usize,
    /// The slowest connect, a sign of an overflowing listen queue.
    pub slowest_connect: Duration,
    /// The first error seen, if any.
    pub first_error: Option<String>,
}

impl Level {
    /// Round trips per second.
    pub fn rate(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

struct ClientResult {
    latencies: Vec<Duration>,
    connect: Duration,
    error: Option<String>,
}

// ANCHOR: measure
/// Runs `clients` clients against `addr` for `duration` of round trips.
///
/// All clients connect first; the clock starts when the last one is
/// connected (or has failed), so the connection storm is measured apart,
/// as `slowest_connect`.
pub fn measure(addr: SocketAddr, clients: usize, duration: Duration) -> io::Result<Level> {
    assert!(
        addr.ip().is_loopback(),
        "the load generator is for loopback only"
    );
    let start_line = Arc::new(Barrier::new(clients + 1));
    let mut threads = Vec::with_capacity(clients);
    for id in 0..clients {
        let start_line = Arc::clone(&start_line);
        let thread = thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let t0 = Instant::now();
                let conn = TcpStream::connect_timeout(&addr, CLIENT_TIMEOUT).and_then(|s| {
                    s.set_read_timeout(Some(CLIENT_TIMEOUT))?;
                    s.set_nodelay(true)?;
                    Ok(s)
                });
                let connect = t0.elapsed();
                start_line.wait();
                let mut result = ClientResult {
                    latencies: Vec::new(),
                    connect,
                    error: None,
                };
                let mut stream = match conn {
                    Ok(s) => s,
                    Err(e) => {
                        result.error = Some(format!("connect: {e}"));
                        return result;
                    }
                };
                let end = Instant::now() + duration;
                let message = format!("hello from client {id}");
                let expected = message.to_ascii_uppercase();
                while Instant::now() < end {
                    let t = Instant::now();
                    match round_trip(&mut stream, &message) {
                        Ok(Some(answer)) if answer == expected => {
                            result.latencies.push(t.elapsed())
                        }
                        Ok(answer) => {
                            result.error = Some(format!("wrong answer {answer:?}"));
                            break;
                        }
                        Err(e) => {
                            result.error = Some(format!("round trip: {e}"));
                            break;
                        }
                    }
                }
                result
            })?;
        threads.push(thread);
    }
    start_line.wait();
    let started = Instant::now();
    let results: Vec<ClientResult> = threads
        .into_iter()
        .map(|t| {
            t.join().unwrap_or_else(|_| ClientResult {
                latencies: Vec::new(),
                connect: Duration::ZERO,
                error: Some("the client thread panicked".into()),
            })
        })
        .collect();
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results
        .iter()
        .flat_map(|r| r.latencies.iter().copied())
        .collect();
    latencies.sort_unstable();
    let errors: Vec<&String> = results.iter().filter_map(|r| r.error.as_ref()).collect();
    Ok(Level {
        clients,
        round_trips: latencies.len(),
        elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        errors: errors.len(),
        slowest_connect: results.iter().map(|r| r.connect).max().unwrap_or_default(),
        first_error: errors.first().map(|e| e.to_string()),
    })
}
// ANCHOR_END: measure

/// The `p`th percentile of sorted `values` (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Raises the soft limit on open files to at least `wanted` (at most the
/// hard limit). Returns `Some((old, new))` when it changed it.
pub fn raise_open_files_limit(wanted: u64) -> io::Result<Option<(u64, u64)>> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let old = limit.rlim_cur;
    if old >= wanted {
        return Ok(None);
    }
    limit.rlim_cur = wanted.min(limit.rlim_max);
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some((old, limit.rlim_cur)))
}
