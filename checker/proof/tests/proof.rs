//! Every exercise keeps its promises, judged on the programs this package
//! builds (its manifest is made by `cargo exercise sync`):
//!
//! - every checker passes the reference solution and fails the untouched
//!   starter, for the right reason and the same way however fast the
//!   starter dies: a checker that cannot fail is a defect;
//! - the checker's output the book shows (`book/chN/transcripts/exercise-*.txt`)
//!   is what the checker prints: the untouched starter's verdict of every
//!   exercise, and the runs on other programs each `exercises.toml` lists.

use std::path::PathBuf;
use std::sync::OnceLock;

use checker::proof::Proof;
use checker::{catalog, checkers, proof, root, transcript};

/// The folder cargo built this package's programs in: the one above this
/// test's own executable (`target/debug/deps/proof-HASH`).
fn programs() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    deps.parent().unwrap().to_path_buf()
}

/// Every exercise's proof, made once (it runs every starter and every
/// solution) and shared by the tests that need it.
fn proofs() -> &'static [Proof] {
    static PROOFS: OnceLock<Vec<Proof>> = OnceLock::new();
    PROOFS.get_or_init(|| {
        let root = root();
        let exercises = catalog::load(&root).unwrap();
        proof::prove(&root, &exercises, &checkers(), &programs()).unwrap()
    })
}

#[test]
fn every_checker_passes_its_solution_and_fails_its_starter() {
    let exercises = catalog::load(&root()).unwrap();
    let proofs = proofs();
    assert_eq!(proofs.len(), exercises.len());
    for p in proofs {
        // The starter must fail for the right reason, the same way whether
        // it dies fast or slowly (see `Proof::same_either_way`): it runs, and
        // stops at its todo!(), which the checker reports as "not done yet".
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
