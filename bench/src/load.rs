//! The load generator: N clients, each a thread with one connection, doing
//! round trips (a message out, its answer back) for a fixed time.
//!
//! Chapter 5 measures its servers with it, and chapter 6 its concurrency
//! models. Each says what a round trip is on its protocol ([`Exchange`]).
//! Loopback only, and bounded: every connect and read has a timeout, and
//! every client stops at the deadline.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use book_support::observe::listen_overflows;

/// How long a client may take to connect, or to get one answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(15);

/// What the clients say, on a server's protocol.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    /// One round trip on a connection: sends the message, returns the
    /// answer (`None` where none is due).
    pub round_trip: fn(&mut TcpStream, &str) -> io::Result<Option<String>>,
    /// The answer a working server gives to a message.
    pub answer: fn(&str) -> String,
}

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
    /// Handshakes the kernel dropped because an accept queue was full,
    /// during the level: the whole machine's count (see
    /// [`listen_overflows`]), so this level's only on a quiet machine.
    pub listen_overflows: u64,
}

impl Level {
    /// Round trips per second.
    pub fn rate(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Something that watches the server while the load runs: told when the
/// measured time starts (every client connected) and when it ends.
pub trait Watch {
    /// The clients start their round trips now.
    fn started(&mut self) {}
    /// The last client has stopped.
    fn ended(&mut self) {}
}

/// Watching nothing.
impl Watch for () {}

struct ClientResult {
    latencies: Vec<Duration>,
    connect: Duration,
    error: Option<String>,
}

// ANCHOR: measure
/// Runs `clients` clients against `addr` for `duration` of round trips,
/// each client sending `hello from client N` the way `exchange` says.
///
/// All clients connect first; the clock starts when the last one is
/// connected (or has failed), so the connection storm is measured apart,
/// as `slowest_connect`.
pub fn measure(
    addr: SocketAddr,
    clients: usize,
    duration: Duration,
    exchange: Exchange,
) -> io::Result<Level> {
    measure_watched(addr, clients, duration, exchange, 0, &mut ())
}

/// [`measure`], with each client thread at scheduling priority `nice`
/// (0 as the process has it; 19, the lowest, lets the server run first
/// whenever it is ready, as clients on other machines would), telling
/// `watch` when the measured time starts and ends.
pub fn measure_watched(
    addr: SocketAddr,
    clients: usize,
    duration: Duration,
    exchange: Exchange,
    nice: i32,
    watch: &mut dyn Watch,
) -> io::Result<Level> {
    assert!(
        addr.ip().is_loopback(),
        "the load generator is for loopback only"
    );
    let overflows_before = listen_overflows();
    // Two barriers: every client connected, then the watch told, then go.
    let connected = Arc::new(Barrier::new(clients + 1));
    let start_line = Arc::new(Barrier::new(clients + 1));
    let mut threads = Vec::with_capacity(clients);
    for id in 0..clients {
        let connected = Arc::clone(&connected);
        let start_line = Arc::clone(&start_line);
        let thread = thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                if nice != 0 {
                    lower_priority(nice);
                }
                let t0 = Instant::now();
                let conn = TcpStream::connect_timeout(&addr, CLIENT_TIMEOUT).and_then(|s| {
                    s.set_read_timeout(Some(CLIENT_TIMEOUT))?;
                    s.set_nodelay(true)?;
                    Ok(s)
                });
                let connect = t0.elapsed();
                connected.wait();
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
                let expected = (exchange.answer)(&message);
                while Instant::now() < end {
                    let t = Instant::now();
                    match (exchange.round_trip)(&mut stream, &message) {
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
    connected.wait();
    watch.started();
    // The clock starts before the clients are let go: none can start
    // earlier, however late this thread runs again after the barrier.
    let started = Instant::now();
    start_line.wait();
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
    watch.ended();
    let overflows = listen_overflows()
        .zip(overflows_before)
        .map_or(0, |(after, before)| after.saturating_sub(before));
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
        listen_overflows: overflows,
    })
}
// ANCHOR_END: measure

/// Sets the calling thread's nice value to `nice` (on Linux a nice value
/// belongs to a thread, and `setpriority` with 0 names the caller). Raising
/// it needs no privilege; failing to is harmless, so it is not reported.
fn lower_priority(nice: i32) {
    // SAFETY: setpriority reads its arguments only.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, nice);
    }
}

/// The `p`th percentile of sorted `values` (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Raises the soft limit on open files to at least `wanted` (at most the
/// hard limit), for the clients' sockets here and the servers' (a child
/// inherits the limit). Returns `Some((old, new))` when it changed it.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted = ms(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(5));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(10));
        assert_eq!(percentile(&sorted, 0.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    /// A line out, the same line upper-cased back, as the chapters' servers.
    fn upper(stream: &mut TcpStream, message: &str) -> io::Result<Option<String>> {
        stream.write_all(format!("{message}\n").as_bytes())?;
        let mut answer = vec![0; message.len()];
        stream.read_exact(&mut answer)?;
        Ok(Some(String::from_utf8_lossy(&answer).into_owned()))
    }

    /// Serves `upper` on a loopback port, a thread a connection, for as
    /// long as the process lives.
    fn upper_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    let mut out = stream.try_clone().unwrap();
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        if out.write_all(line.to_uppercase().as_bytes()).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    #[test]
    fn clients_count_round_trips_and_wrong_answers() {
        let addr = upper_server();
        let right = Exchange {
            round_trip: upper,
            answer: |m| m.to_ascii_uppercase(),
        };
        let level = measure(addr, 3, Duration::from_millis(100), right).unwrap();
        assert_eq!((level.clients, level.errors), (3, 0), "{level:?}");
        assert!(level.round_trips > 0 && level.rate() > 0.0, "{level:?}");
        assert!(level.p50 <= level.p99, "{level:?}");

        let wrong = Exchange {
            answer: |m| m.to_string(),
            ..right
        };
        let level = measure(addr, 2, Duration::from_millis(100), wrong).unwrap();
        assert_eq!(level.errors, 2, "{level:?}");
        let error = level.first_error.unwrap();
        assert!(
            error.starts_with("wrong answer Some(\"HELLO FROM CLIENT "),
            "{error}"
        );
    }

    #[test]
    fn the_open_files_limit_is_left_alone_when_it_is_enough() {
        assert_eq!(raise_open_files_limit(1).unwrap(), None);
    }
}
