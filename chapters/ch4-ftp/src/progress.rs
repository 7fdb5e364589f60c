//! How the client shows a transfer in progress.
//!
//! The library draws nothing itself. A person at a terminal wants a bar
//! with the rate and the time left; a script, a pipe or a test wants
//! nothing on stderr. That choice is the `ftp-client` binary's: it passes a
//! progress bar when stderr is a terminal, and [`Quiet`] otherwise.

/// What a transfer tells about itself while it runs.
pub trait Progress {
    /// A transfer of `name` begins.
    fn start(&mut self, name: &str);
    /// `done` of the file's `total` bytes are here (a resumed download
    /// starts past 0).
    fn update(&mut self, done: u64, total: u64);
    /// The transfer is over, whether it succeeded or not: anything drawn
    /// goes away, before the result is printed.
    fn finish(&mut self);
}

/// Shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _name: &str) {}
    fn update(&mut self, _done: u64, _total: u64) {}
    fn finish(&mut self) {}
}
