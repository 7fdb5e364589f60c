//! Every exercise has a Python route, and the checker judges it:
//!
//! - every exercise has a Python solution,
//!   `chapters/chN-*/exercises/python/NAME.py`, and the checker passes it,
//!   started with `--cmd` exactly as the exercise's page tells a Python
//!   solver to start theirs (the page's line, with the solution's path);
//! - every exercise's page gives that `--cmd` line, with the placeholders
//!   the checker fills in, the same as the exercise's own arguments;
//! - no page includes a Python solution.
//!
//! Where python3 is missing, the checks that run Python say SKIPPED.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use checker::catalog::{self, Exercise};
use checker::verdict::{judge, program_from_cmd};
use checker::{checkers, root};

/// The Python solution of an exercise.
fn python_solution(exercise: &Exercise) -> PathBuf {
    exercise
        .chapter_dir
        .join("exercises/python")
        .join(format!("{}.py", exercise.name))
}

/// The exercise's page: `book/chN/exercises.md`.
fn page(root: &Path, exercise: &Exercise) -> PathBuf {
    let chapter = exercise.chapter();
    let short = chapter.split('-').next().unwrap_or_default();
    root.join("book").join(short).join("exercises.md")
}

/// The line the page gives a Python solver whose file is `file`.
fn cmd_line(exercise: &Exercise, file: &str) -> String {
    let mut words = vec!["python3".to_string(), file.to_string()];
    words.extend(exercise.args.iter().cloned());
    words.join(" ")
}

#[test]
fn every_page_gives_the_python_cmd_line_with_the_checkers_placeholders() {
    let root = root();
    for exercise in catalog::load(&root).unwrap() {
        let page = page(&root, &exercise);
        let text = std::fs::read_to_string(&page).unwrap();
        let line = format!(
            "cargo exercise check {} --cmd \"{}\"",
            exercise.name,
            cmd_line(&exercise, &format!("{}.py", exercise.name))
        );
        assert!(
            text.contains(&line),
            "{} should give the Python route of {}: `{line}`",
            page.display(),
            exercise.name
        );
    }
}

#[test]
fn no_page_shows_a_python_solution() {
    let root = root();
    let exercises = catalog::load(&root).unwrap();
    let mut pages = vec![root.join("book")];
    while let Some(dir) = pages.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pages.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).unwrap();
                for exercise in &exercises {
                    let solution = python_solution(exercise);
                    let inside = solution.strip_prefix(&root).unwrap();
                    assert!(
                        !text.contains(&inside.display().to_string()),
                        "{} shows the Python solution {}",
                        path.display(),
                        inside.display()
                    );
                }
            }
        }
    }
}

/// How many programs are judged at once: each verdict waits mostly on
/// bounded timers and on the programs, not on this process.
const PARALLEL: usize = 4;

#[test]
fn the_checker_passes_every_python_solution() {
    let root = root();
    let exercises = catalog::load(&root).unwrap();
    for exercise in &exercises {
        assert!(
            python_solution(exercise).is_file(),
            "{} has no Python solution at {}",
            exercise.name,
            python_solution(exercise).display()
        );
    }
    if book_support::tools::python3().is_none() {
        return;
    }
    let checkers = checkers();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                while let Some(exercise) = exercises.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let file = python_solution(exercise).display().to_string();
                    let cmd = cmd_line(exercise, &shlex::try_quote(&file).unwrap());
                    let verdict = judge(exercise, &checkers, program_from_cmd(&cmd).unwrap());
                    if !verdict.is_pass() {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("--cmd {cmd:?}\n{}", verdict.report()));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "the checker fails these Python solutions:\n{}",
        failures.join("\n")
    );
}
