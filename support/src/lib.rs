//! What every chapter of the book shares.
//!
//! - [`accept`]: an accept loop that pauses, and logs once, when the
//!   process runs out of descriptors.
//! - [`cli`]: the conventions of the chapters' programs: a server announces
//!   `listening on ADDR` as its first line, and every program reports an error
//!   as one `error: ...` line and a non-zero exit code.
//! - [`process`]: the test harness. [`process::ServerProcess`] starts a server
//!   program, learns its address from that first line within a bounded time,
//!   and stops it when dropped, also when a test panics.
//! - [`check`]: the building blocks of the exercise checkers: a black-box
//!   [`check::Program`] started from any command line, and [`check::Failure`],
//!   which says what was expected and what came back.
//! - [`observe`]: a process seen from outside (its descriptors, threads,
//!   exit), with bounded waits for states no event announces.
//! - [`diff`]: what differs between the text a file holds and the text a
//!   program printed, line by line, for the transcript checks.
//! - [`plot`]: the benchmarks' tables (CSV) and plots (SVG).
//! - [`tools`]: programs from outside Rust (python3) that some tests need,
//!   found, or skipped visibly.

pub mod accept;
pub mod check;
pub mod cli;
pub mod diff;
pub mod observe;
pub mod plot;
pub mod process;
pub mod tools;

pub use process::ServerProcess;
