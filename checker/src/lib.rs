//! The exercises of the book and their checkers.
//!
//! - [`catalog`]: the exercises, read from each chapter's `exercises.toml`.
//! - [`checks`]: every chapter's checkers, kept beside its exercises.
//! - [`starter`]: a starter made from its reference solution.
//! - [`student`]: the student's crate, `my-exercises/`, and how it is built.
//! - [`verdict`]: running a checker against a program and reporting it.
//! - [`checking`]: `cargo exercise check`: build, judge, write the verdicts.
//! - [`report`]: the verdicts for a machine: JSON and JUnit XML.
//! - [`progress`]: each exercise's state for a student (done, not yet, not
//!   started), found without building anything.
//! - [`watch`]: checking an exercise again each time its file is saved.
//! - [`grade`]: `cargo exercise grade`: a teacher grades a class.
//! - [`proof`]: what CI proves for every exercise: the checker passes on the
//!   reference solution and fails on the untouched starter.
//! - [`transcript`]: the checker's output the book shows, made by the
//!   checker, compared with the committed files and rewritten on demand.
//!
//! The command is `cargo exercise` (see `src/bin/exercise.rs`).

use std::path::PathBuf;

use book_support::check::Checker;

pub mod catalog;
pub mod checking;
pub mod checks;
pub mod grade;
pub mod progress;
pub mod proof;
pub mod report;
pub mod starter;
pub mod student;
pub mod transcript;
pub mod verdict;
pub mod watch;

/// The top of the book's repository.
pub fn root() -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    root.canonicalize().unwrap_or(root)
}

/// Every chapter's checkers. A new chapter adds its line here.
pub fn checkers() -> Vec<Checker> {
    let mut all = Vec::new();
    all.extend(checks::ch1::checkers());
    all.extend(checks::ch2::checkers());
    all.extend(checks::ch3::checkers());
    all.extend(checks::ch4::checkers());
    all.extend(checks::ch5::checkers());
    all.extend(checks::ch6::checkers());
    all
}
