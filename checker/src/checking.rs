//! `cargo exercise check`: build the programs, judge them, write the
//! verdicts in the format asked for, and remember what passed (see
//! [`crate::progress`]).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use book_support::check::Program;

use crate::catalog::{self, Exercise};
use crate::checkers;
use crate::progress::{Record, source_hash};
use crate::report::{Format, Results};
use crate::student::StudentCrate;
use crate::verdict::{Verdict, judge, program_for, program_from_cmd, write_check};

/// Which programs a check judges.
#[derive(Debug, Clone)]
pub enum Judged {
    /// The student's, in their crate: built first, and the verdicts
    /// recorded in the crate's `.progress`.
    Mine,
    /// A command line (`--cmd`), for one exercise.
    Cmd(String),
    /// The book's reference solutions (`--solution`).
    Solution,
}

/// An error that stops `cargo exercise check` before any verdict: a usage
/// error (no such exercise, a command line that cannot be split) or a build
/// error. The command exits with code 2.
#[derive(Debug)]
pub struct CheckError(pub anyhow::Error);

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for CheckError {}

/// The exit code of `cargo exercise check` for a usage or build error.
pub const ERROR_EXIT: u8 = 2;

/// Runs `cargo exercise check [NAME]` and writes its verdicts to `out` in
/// `format`. Returns whether something failed. On an error, the JSON and
/// JUnit formats still write a document (status `error`), and the error
/// comes back as a [`CheckError`].
pub fn check(
    root: &Path,
    exercises: &[Exercise],
    mine: &StudentCrate,
    name: Option<&str>,
    judged: Judged,
    format: Format,
    out: &mut impl Write,
) -> Result<bool> {
    match judge_all(root, exercises, mine, name, judged, format, out) {
        Ok(failed) => Ok(failed),
        Err(err) => {
            let document = match format {
                Format::Human => None,
                Format::Json => Some(Results::error(format!("{err:#}")).to_json()),
                Format::Junit => Some(Results::error(format!("{err:#}")).to_junit()),
            };
            if let Some(document) = document {
                out.write_all(document.as_bytes())?;
                out.flush()?;
            }
            Err(CheckError(err).into())
        }
    }
}

fn judge_all(
    root: &Path,
    exercises: &[Exercise],
    mine: &StudentCrate,
    name: Option<&str>,
    judged: Judged,
    format: Format,
    out: &mut impl Write,
) -> Result<bool> {
    let chosen: Vec<&Exercise> = match name {
        Some(name) => vec![catalog::find(exercises, name)?],
        None => exercises.iter().collect(),
    };
    let names: Vec<&str> = chosen.iter().map(|e| e.name.as_str()).collect();
    let human = format == Format::Human;
    let checkers = checkers();

    // For the student's crate: the hash of each source as it was built.
    let mut hashes: Vec<Option<String>> = vec![None; chosen.len()];
    let programs: Vec<Program> = match &judged {
        Judged::Cmd(cmd) => vec![program_from_cmd(cmd)?],
        Judged::Solution => {
            build_solutions(root, &names, human)?;
            let bin_dir = root.join("target").join("debug");
            chosen
                .iter()
                .map(|e| program_for(&bin_dir.join(&e.name), e))
                .collect()
        }
        Judged::Mine => {
            for written in mine.init(root, exercises)? {
                let line = format!(
                    "new starter: {}",
                    relative(root, &mine.program_source(&written))
                );
                if human {
                    writeln!(out, "{line}")?;
                } else {
                    eprintln!("{line}");
                }
            }
            for (hash, exercise) in hashes.iter_mut().zip(&chosen) {
                *hash = fs::read(mine.program_source(&exercise.name))
                    .ok()
                    .map(|source| source_hash(&source));
            }
            mine.build(&names, human)?;
            chosen
                .iter()
                .map(|e| program_for(&mine.program(&e.name), e))
                .collect()
        }
    };

    let mut record = Record::load(&mine.dir);
    let verdicts = chosen
        .iter()
        .zip(programs)
        .zip(&hashes)
        .map(|((exercise, program), hash)| {
            let verdict = judge(exercise, &checkers, program);
            if let (Judged::Mine, Some(hash)) = (&judged, hash) {
                record.note(&exercise.name, hash, verdict.is_pass());
                if let Err(err) = record.save(&mine.dir) {
                    eprintln!("warning: your progress is not recorded: {err:#}");
                }
            }
            verdict
        });
    match format {
        Format::Human => {
            // Each verdict is printed as soon as it is ready.
            let (passes, total) = write_check(out, verdicts)?;
            Ok(passes < total)
        }
        Format::Json | Format::Junit => {
            let verdicts: Vec<Verdict> = verdicts.collect();
            let results = Results::judged(&verdicts);
            let document = if format == Format::Json {
                results.to_json()
            } else {
                results.to_junit()
            };
            out.write_all(document.as_bytes())?;
            out.flush()?;
            Ok(!verdicts.iter().all(Verdict::is_pass))
        }
    }
}

/// Builds the reference solutions with the book's own workspace. With
/// `show_output`, cargo's messages go to the terminal; without, they come
/// back in the error.
fn build_solutions(root: &Path, names: &[&str], show_output: bool) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet", "--workspace", "--manifest-path"]);
    command.arg(root.join("Cargo.toml")).stdin(Stdio::null());
    for name in names {
        command.args(["--bin", name]);
    }
    if show_output {
        if !command.status().context("cannot run cargo")?.success() {
            bail!("the reference solutions did not build");
        }
    } else {
        let output = command.output().context("cannot run cargo")?;
        if !output.status.success() {
            bail!(
                "the reference solutions did not build:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    Ok(())
}

/// `path` from the top of the book, for messages.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
