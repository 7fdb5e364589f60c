//! What every chapter of the book shares.
//!
//! - [`accept`]: an accept loop that pauses, and logs once, when the
//!   process runs out of descriptors.
//! - [`cli`]: the conventions of the chapters' programs: a server announces
//!   `listening on ADDR` as its first line, and every program reports an error
//!   as one `error: ...` line and a non-zero exit code.
//! - [`process`]: the one harness that starts a program and reads its
//!   `listening on` line. [`process::ServerProcess`] starts a server program,
//!   learns its address from that first line within a bounded time, signals
//!   it, and stops it when dropped, also when a test panics; tests, checkers
//!   and the book's transcripts (stdout and stderr merged, as a terminal
//!   shows them) all use it.
//! - [`check`]: the building blocks of the exercise checkers: a black-box
//!   [`check::Program`] started from any command line, and [`check::Failure`],
//!   which says what was expected and what came back.
//! - [`observe`]: a process seen from outside (its descriptors, threads,
//!   children, memory, exit) and the machine's counters, every `/proc`
//!   reader in one place, with bounded waits for states no event announces.
//! - [`machine`]: the machine, as the book describes it beside benchmark
//!   numbers (cores, kernel, CPU, memory, kernel settings).
//! - [`tools`]: programs from outside Rust (python3) that some tests need,
//!   found, or skipped visibly.

pub mod accept;
pub mod check;
pub mod cli;
pub mod machine;
pub mod observe;
pub mod process;
pub mod tools;

pub use process::ServerProcess;
