//! The exercises hold their promises (the design is in `checker/`):
//!
//! - every committed starter is exactly what its solution makes, so the two
//!   can never drift apart;
//! - every checker passes the reference solution and fails the untouched
//!   starter: a checker that cannot fail is a defect;
//! - every exercise has a checker, and every checker an exercise;
//! - the checker's output the book shows (`book/chN/transcripts/exercise-*.txt`)
//!   is what the checker prints: the untouched starter's verdict of every
//!   exercise, and the runs on other programs each `exercises.toml` lists.

use std::sync::OnceLock;

use checker::proof::Proof;
use checker::{catalog, checkers, proof, root, transcript};

/// Every exercise's proof, made once (it builds and runs every starter and
/// every solution) and shared by the tests that need it.
fn proofs() -> &'static [Proof] {
    static PROOFS: OnceLock<Vec<Proof>> = OnceLock::new();
    PROOFS.get_or_init(|| {
        let root = root();
        let exercises = catalog::load(&root).unwrap();
        proof::prove(&root, &exercises, &checkers()).unwrap()
    })
}

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
    let drifted = proof::drifted_starters(&exercises).unwrap();
    assert!(
        drifted.is_empty(),
        "these starters differ from what their solutions make; run `cargo exercise sync`: {drifted:?}"
    );
}

#[test]
fn every_checker_passes_its_solution_and_fails_its_starter() {
    let exercises = catalog::load(&root()).unwrap();
    let proofs = proofs();
    assert_eq!(proofs.len(), exercises.len());
    for p in proofs {
        // The starter must fail for the right reason: it runs, and stops at
        // its todo!(), which the checker reports as "not done yet".
        if let Some(failure) = &p.on_starter.failure {
            let note = failure.note.as_deref().unwrap_or_default();
            assert!(
                note.contains("not done yet"),
                "the starter of {} should fail as \"not done yet\", but: {failure}",
                p.on_starter.name
            );
        }
    }
    proof::require_all_hold(proofs).unwrap();
}

#[test]
fn the_book_shows_what_the_checker_prints() {
    let root = root();
    let exercises = catalog::load(&root).unwrap();
    let blocks = transcript::blocks(&root, &exercises, proofs(), &checkers()).unwrap();
    assert!(
        blocks.len() >= exercises.len(),
        "a block for every exercise's starter"
    );
    let problems = transcript::mismatches(&root, &exercises, &blocks).unwrap();
    assert!(
        problems.is_empty(),
        "the book does not show what the checker prints \
         (`cargo exercise verify --bless` rewrites the transcripts):\n{}",
        problems.join("\n")
    );
}
