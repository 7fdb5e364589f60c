//! The book's benchmarks, and what they share.
//!
//! The benchmark programs are this package's binaries, one per chapter that
//! measures something: `api-bench` (chapter 2), `ssh-bench` (3), `ftp-bench`
//! (4), `upper-bench` (5) and `loop-bench` (6), in `src/bin/`. Each is run
//! as `cargo run --release -p book-bench --bin NAME` (`ftp-bench` after
//! `cargo build --release -p ch4-ftp --bins`: it starts the chapter's server
//! and client), or for the book by `cargo xtask bench`; `tests/` runs each
//! with tiny arguments. This package
//! depends on the chapters it measures, and no chapter depends on it: the
//! chapters' libraries, and the crates of exercises built on them, compile
//! no plotting, CSV or XML.
//!
//! - [`load`]: the load generator: N clients over loopback, each a thread
//!   with one connection, doing round trips for a fixed time; their rate,
//!   latency percentiles and failures; the open-files limit it needs.
//! - [`usage`]: what a process used: its memory (proportional set size, its
//!   peak under load, its peak resident size) and a thread's CPU time.
//! - [`results`]: the table of what a benchmark measured (`results.csv`).
//! - [`plot`]: the plots drawn from that table (SVG).
//! - [`watch`]: what a server cost during the measured time: its CPU time
//!   and, where `perf` can count them, its system calls.
//!
//! Everything read from `/proc` is read by `book_support::observe`, which
//! the tests and checkers use too.

pub mod load;
pub mod plot;
pub mod results;
pub mod usage;
pub mod watch;
