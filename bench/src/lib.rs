//! What the book's benchmarks share. Only the benchmark programs
//! (`api-bench`, `ssh-bench`, `ftp-bench`, `upper-bench`, `loop-bench`) and
//! `cargo xtask bench` link this crate; the chapters' libraries, and the
//! crates of exercises built on them, do not.
//!
//! - [`load`]: the load generator: N clients over loopback, each a thread
//!   with one connection, doing round trips for a fixed time; their rate,
//!   latency percentiles and failures; the open-files limit it needs.
//! - [`usage`]: what a process used: its memory (proportional set size, its
//!   peak under load, its peak resident size) and a thread's CPU time.
//! - [`machine`]: the machine a benchmark ran on, as the book describes it.
//! - [`results`]: the table of what a benchmark measured (`results.csv`).
//! - [`plot`]: the plots drawn from that table (SVG).
//!
//! Everything read from `/proc` is read by `book_support::observe`, which
//! the tests and checkers use too.

pub mod load;
pub mod machine;
pub mod plot;
pub mod results;
pub mod usage;
