//! The exercises hold their promises (the design is in `checker/`):
//!
//! - every committed starter is exactly what its solution makes, so the two
//!   can never drift apart (and the proof package lists them all);
//! - every exercise has a checker, and every checker an exercise.
//!
//! That every checker passes its solution and fails its starter, and that
//! the book shows what the checker prints, is proved by the tests of the
//! `exercise-proof` package (`checker/proof/`), on the programs it builds.

use checker::{catalog, checkers, proof, root};

#[test]
fn every_chapter_has_at_least_two_exercises() {
    let exercises = catalog::load(&root()).unwrap();
    for chapter in catalog::chapter_dirs(&root()).unwrap() {
        let count = exercises
            .iter()
            .filter(|e| e.chapter_dir == chapter)
            .count();
        assert!(
            count >= 2,
            "{} has {count} exercises; every chapter has at least two",
            chapter.display()
        );
    }
}

#[test]
fn every_exercise_has_one_checker_and_every_checker_an_exercise() {
    let exercises = catalog::load(&root()).unwrap();
    let checkers = checkers();
    for exercise in &exercises {
        let count = checkers.iter().filter(|c| c.name == exercise.name).count();
        assert_eq!(
            count, 1,
            "exercise `{}` has {count} checkers",
            exercise.name
        );
    }
    for checker in &checkers {
        assert!(
            exercises.iter().any(|e| e.name == checker.name),
            "checker `{}` has no exercise in any exercises.toml",
            checker.name
        );
    }
}

#[test]
fn every_committed_starter_matches_its_solution() {
    let exercises = catalog::load(&root()).unwrap();
    let drifted = proof::drifted_starters(&root(), &exercises).unwrap();
    assert!(
        drifted.is_empty(),
        "these starters differ from what their solutions make; run `cargo exercise sync`: {drifted:?}"
    );
}

/// Every `{{#include ...}}` path of every page of the book, with the page.
fn includes_of_every_page(root: &std::path::Path) -> Vec<(std::path::PathBuf, std::path::PathBuf)> {
    let include = regex::Regex::new(r"\{\{#(?:rustdoc_)?include\s+([^:}\s]+)").unwrap();
    let mut found = Vec::new();
    let mut pages = vec![root.join("book")];
    while let Some(dir) = pages.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pages.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let text = std::fs::read_to_string(&path).unwrap();
                for captures in include.captures_iter(&text) {
                    let target = path.parent().unwrap().join(&captures[1]);
                    found.push((path.clone(), target));
                }
            }
        }
    }
    found
}

#[test]
fn no_page_shows_a_solution() {
    let root = root();
    let exercises = catalog::load(&root).unwrap();
    let solutions: Vec<std::path::PathBuf> = exercises
        .iter()
        .map(|e| e.solution_path().canonicalize().unwrap())
        .collect();
    let shown: Vec<String> = includes_of_every_page(&root)
        .into_iter()
        .filter(|(_, target)| {
            target
                .canonicalize()
                .is_ok_and(|target| solutions.contains(&target))
        })
        .map(|(page, target)| format!("{} includes {}", page.display(), target.display()))
        .collect();
    assert!(
        shown.is_empty(),
        "a page shows a reference solution; show the starter (exercises/starters/) instead:\n{}",
        shown.join("\n")
    );
}

#[test]
fn every_starter_tells_the_student_to_run_their_own_copy() {
    let exercises = catalog::load(&root()).unwrap();
    let names: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
    for exercise in &exercises {
        let starter = exercise.expected_starter().unwrap();
        assert!(
            starter.contains(&exercise.run_line()),
            "the starter of {} says how to run the student's copy",
            exercise.name
        );
        for line in starter.lines().filter(|l| l.contains("cargo run")) {
            let runs_an_exercise = names
                .iter()
                .any(|name| line.contains(&format!("--bin {name} ")) || line.ends_with(name));
            assert!(
                !runs_an_exercise || line.contains("--manifest-path my-exercises/Cargo.toml"),
                "the starter of {} runs a program that is not the student's copy: {line}",
                exercise.name
            );
        }
    }
}
