//! The student's view: `cargo exercise` lists each exercise's state, `watch`
//! checks one again each time its file is saved, and `solution` shows the
//! book's solution only once the student's own program passes.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use checker::catalog;
use checker::watch::WATCHING;
use predicates::prelude::*;

const NAME: &str = "ch1-udp-echo";

/// Long enough for a first build of the student's crate on a loaded machine.
const BOUND: Duration = Duration::from_secs(300);

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("exercise")
}

fn exercise(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command
        .arg("--dir")
        .arg(dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    command
}

fn fresh(name: &str) -> PathBuf {
    let dir = checker::root().join("target/exercises").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    dir
}

fn program_file(dir: &Path) -> PathBuf {
    dir.join("src/bin").join(format!("{NAME}.rs"))
}

fn solution() -> String {
    let exercises = catalog::load(&checker::root()).unwrap();
    let exercise = catalog::find(&exercises, NAME).unwrap();
    fs::read_to_string(exercise.solution_path()).unwrap()
}

/// The watch, started as a student starts it; killed when dropped.
struct Watch {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Watch {
    fn start(dir: &Path) -> Self {
        let mut child = std::process::Command::new(binary())
            .arg("--dir")
            .arg(dir)
            .args(["watch", NAME])
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Watch { child, lines }
    }

    /// Waits, at most [`BOUND`], for a line that contains `text`; returns
    /// every line read on the way.
    fn wait_for(&self, text: &str) -> Vec<String> {
        let deadline = Instant::now() + BOUND;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(text);
                    seen.push(line);
                    if found {
                        return seen;
                    }
                }
                Err(_) => panic!(
                    "no line with {text:?} within {BOUND:?}; the watch printed:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_list_the_watch_and_the_solution_follow_the_students_work() {
    let dir = fresh("watch-student");
    exercise(&dir).arg("init").assert().success();

    // Nothing started: every exercise says so, and the first is next.
    let first = catalog::load(&checker::root()).unwrap()[0].name.clone();
    exercise(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("not started  {NAME}")))
        .stdout(predicate::str::contains(format!("next: {first}")));
    exercise(&dir)
        .args(["solution", NAME])
        .assert()
        .failure()
        .stderr(predicate::str::contains("once your own program passes"));

    // The watch checks the starter at once: it fails.
    let watch = Watch::start(&dir);
    let first = watch.wait_for(WATCHING);
    assert!(
        first.iter().any(|l| l.contains("FAIL")),
        "the starter fails:\n{}",
        first.join("\n")
    );

    // The student saves the solved program: a new verdict, a pass.
    fs::write(program_file(&dir), solution()).unwrap();
    let second = watch.wait_for(WATCHING);
    assert!(
        second.iter().any(|l| l.contains("PASS")),
        "the saved solution passes:\n{}",
        second.join("\n")
    );
    drop(watch);

    // Done now, and the book's solution is shown.
    exercise(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("done         {NAME}")))
        .stdout(predicate::str::contains("progress: 1 of"));
    exercise(&dir)
        .args(["solution", NAME])
        .assert()
        .success()
        .stdout(predicate::str::contains(solution()));

    // An edit after the pass makes it "not yet" again, and hides the solution.
    fs::write(program_file(&dir), solution() + "\n// my own change\n").unwrap();
    exercise(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("not yet      {NAME}")));
    exercise(&dir)
        .args(["solution", NAME])
        .assert()
        .failure()
        .stderr(predicate::str::contains("has not passed since"));
}
