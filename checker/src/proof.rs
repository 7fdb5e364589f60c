//! The proof CI runs for every exercise, in the way rustlings does it: the
//! checker passes on the reference solution and fails on the untouched
//! starter. A checker that cannot fail is a defect, and so is a starter that
//! has drifted from its solution or does not compile.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use book_support::check::Checker;

use crate::catalog::Exercise;
use crate::student::StudentCrate;
use crate::verdict::{Verdict, judge, program_for};

/// The committed starters that differ from what their solutions make.
/// Each entry names the starter's path.
pub fn drifted_starters(exercises: &[Exercise]) -> Result<Vec<String>> {
    let mut drifted = Vec::new();
    for exercise in exercises {
        let expected = exercise.expected_starter()?;
        let path = exercise.starter_path();
        let actual = fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            drifted.push(path.display().to_string());
        }
    }
    Ok(drifted)
}

/// Writes every committed starter from its solution. Returns the paths it changed.
pub fn sync_starters(exercises: &[Exercise]) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for exercise in exercises {
        let expected = exercise.expected_starter()?;
        let path = exercise.starter_path();
        if fs::read_to_string(&path).ok().as_deref() != Some(expected.as_str()) {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, expected)
                .with_context(|| format!("cannot write {}", path.display()))?;
            changed.push(path.display().to_string());
        }
    }
    Ok(changed)
}

/// One exercise's proof: the verdicts on its solution and on its starter.
#[derive(Debug)]
pub struct Proof {
    /// The checker's verdict on the reference solution: must pass.
    pub on_solution: Verdict,
    /// The checker's verdict on the untouched starter: must fail.
    pub on_starter: Verdict,
}

impl Proof {
    /// Did the checker pass the solution and fail the starter?
    pub fn holds(&self) -> bool {
        self.on_solution.is_pass() && !self.on_starter.is_pass()
    }
}

/// Builds every starter and every solution in a crate shaped like the
/// student's (under `target/exercises/proof`), then runs each checker on both.
pub fn prove(root: &Path, exercises: &[Exercise], checkers: &[Checker]) -> Result<Vec<Proof>> {
    let proof_crate =
        StudentCrate::elsewhere(root, &root.join("target").join("exercises").join("proof"));
    // Start clean, so the starters are the untouched ones.
    let bin = proof_crate.dir.join("src").join("bin");
    if bin.exists() {
        fs::remove_dir_all(&bin).with_context(|| format!("cannot clean {}", bin.display()))?;
    }
    fs::create_dir_all(&bin).with_context(|| format!("cannot create {}", bin.display()))?;
    for exercise in exercises {
        let dest = proof_crate.program_source(&solution_name(exercise));
        fs::copy(exercise.solution_path(), &dest)
            .with_context(|| format!("cannot copy {}", exercise.solution_path().display()))?;
    }
    // After the solutions, so that the manifest names them too.
    proof_crate.init(root, exercises)?;
    proof_crate
        .build(&[], false)
        .context("the starters and solutions must compile in the student's crate")?;

    let mut proofs = Vec::new();
    for exercise in exercises {
        let solution = program_for(&proof_crate.program(&solution_name(exercise)), exercise);
        let starter = program_for(&proof_crate.program(&exercise.name), exercise);
        proofs.push(Proof {
            on_solution: judge(exercise, checkers, solution),
            on_starter: judge(exercise, checkers, starter),
        });
    }
    Ok(proofs)
}

/// Fails with a report of every proof that does not hold.
pub fn require_all_hold(proofs: &[Proof]) -> Result<()> {
    let mut report = String::new();
    for proof in proofs.iter().filter(|p| !p.holds()) {
        if !proof.on_solution.is_pass() {
            report.push_str("the checker fails the reference solution:\n");
            report.push_str(&proof.on_solution.report());
        }
        if proof.on_starter.is_pass() {
            report.push_str("the checker passes the untouched starter (it cannot fail):\n");
            report.push_str(&proof.on_starter.report());
        }
    }
    if !report.is_empty() {
        bail!("{report}");
    }
    Ok(())
}

fn solution_name(exercise: &Exercise) -> String {
    format!("{}-solution", exercise.name)
}
