//! The exercises of the book and their checkers.
//!
//! - [`catalog`]: the exercises, read from each chapter's `exercises.toml`.
//! - [`starter`]: a starter made from its reference solution.
//! - [`student`]: the student's crate, `my-exercises/`, and how it is built.
//! - [`verdict`]: running a checker against a program and reporting it.
//! - [`proof`]: what CI proves for every exercise: the checker passes on the
//!   reference solution and fails on the untouched starter.
//! - [`transcript`]: the checker's output the book shows, made by the
//!   checker, compared with the committed files and rewritten on demand.
//!
//! The command is `cargo exercise` (see `src/bin/exercise.rs`).

use std::path::PathBuf;

use book_support::check::Checker;

pub mod catalog;
pub mod proof;
pub mod starter;
pub mod student;
pub mod transcript;
pub mod verdict;

/// The top of the book's repository.
pub fn root() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    root.canonicalize().unwrap_or(root)
}

/// Every chapter's checkers. A new chapter adds its line here.
pub fn checkers() -> Vec<Checker> {
    let mut all = Vec::new();
    all.extend(ch1_families::checks::checkers());
    all.extend(ch2_api::checks::checkers());
    all.extend(ch3_ssh::checks::checkers());
    all.extend(ch4_ftp::checks::checkers());
    all.extend(ch5_socketserver::checks::checkers());
    all.extend(ch6_eventloop::checks::checkers());
    all
}
