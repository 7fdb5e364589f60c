//! The whole exercise loop, as a student goes through it: `init`, an
//! untouched starter fails, the exercise is solved, `check` passes, and the
//! progress line counts it. Every verdict is about the code in the crate it
//! judges, even when another crate with the same program names was built
//! in between (as a teacher checking several students' copies does).

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use checker::catalog;
use predicates::prelude::*;

/// `cargo exercise --dir DIR ...`, with no environment a student would not
/// have: no backtraces, whatever the shell that runs the tests has set.
fn exercise(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("exercise").unwrap();
    command
        .arg("--dir")
        .arg(dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    command
}

/// A fresh folder for a crate of the student's shape, under the book's
/// target folder (where `cargo clean` removes it).
fn fresh(name: &str) -> PathBuf {
    let dir = checker::root().join("target/exercises").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    dir
}

/// Puts the reference solution of `name` in place of the program in `dir`.
fn solve(dir: &Path, name: &str) {
    let exercises = catalog::load(&checker::root()).unwrap();
    let exercise = catalog::find(&exercises, name).unwrap();
    fs::copy(
        exercise.solution_path(),
        dir.join("src/bin").join(format!("{name}.rs")),
    )
    .unwrap();
}

#[test]
fn a_solved_exercise_passes_whatever_was_built_before() {
    let total = catalog::load(&checker::root()).unwrap().len();
    let mine = fresh("loop-student");
    let other = fresh("loop-other");

    // init writes every starter, and says so; a second init says why it
    // does nothing.
    exercise(&mine)
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("{total} new starters")));
    exercise(&mine)
        .arg("init")
        .assert()
        .success()
        .stdout(predicate::str::contains("nothing to do"));

    // The untouched starter fails, for the right reason.
    exercise(&mine)
        .args(["check", "ch1-udp-echo"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("not done yet"));

    // Another crate with the same program names, solved and built: the
    // newest build of a program called ch1-udp-echo is now not the
    // student's.
    exercise(&other).arg("init").assert().success();
    solve(&other, "ch1-udp-echo");
    exercise(&other)
        .args(["check", "ch1-udp-echo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PASS"));
    exercise(&mine)
        .args(["check", "ch1-udp-echo"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("not done yet"));

    // The student solves it: the verdict follows the code they have now.
    solve(&mine, "ch1-udp-echo");
    exercise(&mine)
        .args(["check", "ch1-udp-echo"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PASS"));

    // And the progress line counts it.
    exercise(&mine)
        .arg("check")
        .assert()
        .failure()
        .stdout(predicate::str::contains(format!(
            "progress: 1 of {total} exercises pass"
        )));
}
