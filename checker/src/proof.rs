//! The proof CI runs for every exercise, in the way rustlings does it: the
//! checker passes on the reference solution and fails on the untouched
//! starter. A checker that cannot fail is a defect, and so is a starter that
//! has drifted from its solution or does not compile.
//!
//! The starters and the solutions are programs of one package of the
//! book's workspace, `exercise-proof` (in `checker/proof/`), so the
//! workspace's one build compiles them with everything else, and its tests
//! judge them. Its manifest is made from the exercises, with the very
//! dependencies a student's crate gets, so a starter that compiles there
//! compiles in `my-exercises/` too.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use book_support::check::Checker;

use crate::catalog::Exercise;
use crate::student::{bin, dependencies, starter_lints};
use crate::transcript::normalise;
use crate::verdict::{Verdict, judge, program_for};

/// The proof package's folder, from the top of the book.
pub const PROOF_DIR: &str = "checker/proof";

/// The proof package's name.
pub const PROOF_PACKAGE: &str = "exercise-proof";

/// The name of an exercise's starter among the proof's programs.
pub fn starter_program(exercise: &Exercise) -> String {
    format!("starter--{}", exercise.name)
}

/// The name of an exercise's reference solution among the proof's programs.
pub fn solution_program(exercise: &Exercise) -> String {
    format!("solution--{}", exercise.name)
}

/// The proof package's `Cargo.toml`: a program for every starter and every
/// solution, the student crate's dependencies, and the checker to judge
/// them in its tests.
pub fn proof_manifest(root: &Path, exercises: &[Exercise]) -> Result<String> {
    let dir = root.join(PROOF_DIR);
    let from_dir = |path: PathBuf| -> String {
        let inside = path.strip_prefix(root).unwrap_or(&path);
        format!("../../{}", inside.display())
    };
    // Programs only: their own unit tests run where the chapters build them.
    let program = |name: String, path: PathBuf| {
        let mut entry = bin(&name, &from_dir(path));
        if let Some(table) = entry.as_table_mut() {
            table.insert("test".into(), false.into());
        }
        entry
    };
    let mut bins = Vec::new();
    for exercise in exercises {
        bins.push(program(starter_program(exercise), exercise.starter_path()));
        bins.push(program(
            solution_program(exercise),
            exercise.solution_path(),
        ));
    }
    let mut package = toml::Table::new();
    package.insert("name".into(), PROOF_PACKAGE.into());
    package.insert(
        "description".into(),
        "Every exercise's starter and solution as programs, and the tests that judge them.".into(),
    );
    package.insert("version".into(), "0.1.0".into());
    package.insert("edition".into(), "2024".into());
    package.insert("publish".into(), false.into());
    package.insert("autobins".into(), false.into());
    let mut checker = toml::Table::new();
    checker.insert("path".into(), "..".into());
    let mut dev = toml::Table::new();
    dev.insert("checker".into(), checker.into());

    let mut manifest = toml::Table::new();
    manifest.insert("package".into(), package.into());
    manifest.insert("dependencies".into(), dependencies(root, &dir)?.into());
    manifest.insert("dev-dependencies".into(), dev.into());
    manifest.insert("bin".into(), bins.into());
    manifest.insert("lints".into(), starter_lints());
    let body = toml::to_string(&manifest).context("cannot write the proof's manifest")?;
    Ok(format!(
        "# Made by `cargo exercise sync` from the exercises: do not edit.\n\n{body}"
    ))
}

/// The files `sync` makes, each with what it should hold: every starter,
/// and the proof package's manifest.
fn made_files(root: &Path, exercises: &[Exercise]) -> Result<Vec<(PathBuf, String)>> {
    let mut files = Vec::new();
    for exercise in exercises {
        files.push((exercise.starter_path(), exercise.expected_starter()?));
    }
    files.push((
        root.join(PROOF_DIR).join("Cargo.toml"),
        proof_manifest(root, exercises)?,
    ));
    Ok(files)
}

/// The committed files (starters, the proof's manifest) that differ from
/// what the solutions make. Each entry names the file's path.
pub fn drifted_starters(root: &Path, exercises: &[Exercise]) -> Result<Vec<String>> {
    let mut drifted = Vec::new();
    for (path, expected) in made_files(root, exercises)? {
        let actual = fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            drifted.push(path.display().to_string());
        }
    }
    Ok(drifted)
}

/// Writes every committed starter from its solution, and the proof's
/// manifest. Returns the paths it changed.
pub fn sync_starters(root: &Path, exercises: &[Exercise]) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for (path, expected) in made_files(root, exercises)? {
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

/// Builds the proof's programs with cargo, in the workspace's own target
/// folder, and returns the folder they are in. (From a program that
/// `cargo run` started: cargo holds no lock on the build folder then.)
pub fn build_proof(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--locked",
            "--bins",
            "--package",
            PROOF_PACKAGE,
        ])
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!(
            "the starters and solutions must compile in a student's crate:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(root.join(target).join("debug"))
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

/// Runs each checker on the built starter and solution of its exercise,
/// found in `programs` (the folder cargo built the proof package in).
pub fn prove(
    root: &Path,
    exercises: &[Exercise],
    checkers: &[Checker],
    programs: &Path,
) -> Result<Vec<Proof>> {
    // A few exercises at a time: each verdict waits mostly on bounded
    // timers, not on the processor, and none depends on another.
    let workers = PARALLEL.min(exercises.len()).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut proofs: Vec<Option<Result<Proof>>> = Vec::new();
    proofs.resize_with(exercises.len(), || None);
    let done = std::sync::Mutex::new(proofs);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(exercise) = exercises.get(i) else {
                        return;
                    };
                    let proof = prove_one(root, exercise, checkers, programs);
                    done.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(proof);
                }
            });
        }
    });
    done.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|proof| proof.expect("every exercise was proved"))
        .collect()
}

/// How many exercises are proved at once.
const PARALLEL: usize = 4;

/// One exercise's proof: its solution judged once, its starter twice.
fn prove_one(
    root: &Path,
    exercise: &Exercise,
    checkers: &[Checker],
    programs: &Path,
) -> Result<Proof> {
    let built = |name: String| -> Result<PathBuf> {
        let path = programs.join(&name);
        if !path.is_file() {
            bail!(
                "{} is not built: `cargo build -p {PROOF_PACKAGE}` builds it",
                path.display()
            );
        }
        Ok(path)
    };
    let solution = program_for(&built(solution_program(exercise))?, exercise);
    let starter = program_for(&built(starter_program(exercise))?, exercise);
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
    Ok(Proof {
        on_solution: judge(exercise, checkers, solution),
        on_starter,
        on_slow_starter,
        starter_reports,
    })
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
