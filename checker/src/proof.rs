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
use crate::transcript::normalise;
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
    /// The checker's verdict on the untouched starter, run as a learner's
    /// shell runs it (no backtraces): must fail.
    pub on_starter: Verdict,
    /// The same starter's verdict with `RUST_BACKTRACE=full`, which makes a
    /// panicking program die far more slowly: must read the same, since a
    /// verdict may not depend on how fast a program dies.
    pub on_slow_starter: Verdict,
    /// The two starter verdicts as a student reads them, with what differs
    /// from run to run (ports, scratch folders) normalised.
    pub starter_reports: [String; 2],
}

impl Proof {
    /// Did the checker pass the solution and fail the starter, the same
    /// way however fast the starter died?
    pub fn holds(&self) -> bool {
        self.on_solution.is_pass() && !self.on_starter.is_pass() && self.same_either_way()
    }

    /// Do the two starter verdicts read the same?
    pub fn same_either_way(&self) -> bool {
        self.starter_reports[0] == self.starter_reports[1]
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
        let on_starter = judge(
            exercise,
            checkers,
            starter.clone().with_env("RUST_BACKTRACE", "0"),
        );
        let on_slow_starter = judge(
            exercise,
            checkers,
            starter.with_env("RUST_BACKTRACE", "full"),
        );
        let rules = &exercise.transcript_replace;
        let starter_reports = [
            normalise(&on_starter.report(), root, rules)?,
            normalise(&on_slow_starter.report(), root, rules)?,
        ];
        proofs.push(Proof {
            on_solution: judge(exercise, checkers, solution),
            on_starter,
            on_slow_starter,
            starter_reports,
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
        if !proof.same_either_way() {
            report.push_str(
                "the starter's verdict depends on how fast it dies \
                 (RUST_BACKTRACE=0, then RUST_BACKTRACE=full):\n",
            );
            report.push_str(&proof.starter_reports[0]);
            report.push_str(&proof.starter_reports[1]);
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
