//! The console output the book shows, made by the programs.
//!
//! Every ```` ```console ```` block of the book is a file,
//! `book/chN/transcripts/BLOCK.txt`, written by a program run, never typed:
//!
//! - [`spec`]: a chapter's `book/chN/transcripts.toml`, which says what to
//!   run (servers, commands, their stdin) and what the book shows of it;
//! - [`run`]: running one spec, its servers through
//!   [`book_support::process::ServerProcess`], into blocks;
//! - [`normalise`]: the one normaliser of what differs from machine to
//!   machine (folders, ports), for the spec runner and the exercise checker;
//! - [`snapshot`]: the one compare-and-bless, on snapbox, for every
//!   committed transcript, the checker's `exercise-*.txt` included;
//! - [`chapter`]: a chapter's runs compared or blessed; each chapter's
//!   `tests/transcripts.rs` calls [`chapter::assert_chapter`], and
//!   `cargo xtask transcripts` calls [`chapter::settle`] for every chapter.

pub mod chapter;
pub mod normalise;
pub mod run;
pub mod snapshot;
pub mod spec;

use std::path::Path;

pub use chapter::{Report, assert_chapter, settle};
pub use normalise::Normaliser;
pub use snapshot::Snapshots;
pub use spec::{Chapter, chapters};

/// The workspace root: the folder that holds `transcript/`.
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("transcript/ is a folder inside the workspace")
}
