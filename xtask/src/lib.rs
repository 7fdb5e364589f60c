//! The project's own commands, behind cargo aliases (see `.cargo/config.toml`).
//!
//! `cargo book` builds the book with mdBook used as a library and serves it,
//! so a reader needs nothing but the Rust toolchain. The library half also
//! holds the checks that make the book fail loudly where mdBook stays quiet
//! (a missing include, an empty anchor, a chapter nobody links to) and the
//! checks of the README's commands; the workspace's `tests/` call them.
//! `cargo xtask transcripts` regenerates the console output the book shows
//! (see [`transcripts`]; the runner is the `book-transcript` crate's).

pub mod bench;
pub mod book;
pub mod browser;
mod problem;
pub mod readme;
pub mod transcripts;

use std::path::Path;

pub use problem::Problem;

/// The workspace root: the folder that holds `xtask/`.
///
/// Taken from `CARGO_MANIFEST_DIR` at compile time, so `cargo book` works
/// from any directory of the workspace (cargo runs aliases from the current
/// directory, not from the root).
pub fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is a folder inside the workspace")
}
