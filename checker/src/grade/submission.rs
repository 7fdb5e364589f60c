//! A student's submission: found in the class's folder, copied into a
//! temporary folder of its own, and (for Rust) built once.
//!
//! A submission is a folder holding either
//!
//! - `commands.toml`, the command that starts the program of each
//!   exercise, in any language, run inside the submission's folder, with
//!   the placeholders of `cargo exercise check --cmd`:
//!
//!   ```toml
//!   ch1-udp-echo = "python3 udp_echo.py --port {port}"
//!   ch1-unix-echo = "python3 unix_echo.py {path}"
//!   ```
//!
//! - or `my-exercises/`, the student's crate of Rust programs, as
//!   `cargo exercise init` made it (only its `src/` is used: the manifest
//!   is made again, so a submission brings no dependency and no build
//!   script of its own).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::limits::{self, Ended, Limits};
use crate::catalog::Exercise;
use crate::student::StudentCrate;

/// The file of a submission in another language.
pub const COMMANDS_FILE: &str = "commands.toml";

/// The folder of a submission in Rust.
pub const CRATE_DIR: &str = "my-exercises";

/// The most a submission may hold, in bytes; a bigger one is not copied.
const MAX_COPY: u64 = 64 * 1024 * 1024;

/// The students' folders in `dir`, sorted by name. Hidden folders
/// (`.git`) are not students.
pub fn students(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() && !name.starts_with('.') {
            found.push((name, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// What a student handed in, found in their folder.
#[derive(Debug, Clone)]
pub enum Kind {
    /// `commands.toml`: a command line per exercise.
    Commands(BTreeMap<String, String>),
    /// `my-exercises/`: the exercises it has a program for.
    Rust(Vec<String>),
}

impl Kind {
    /// `commands` or `rust`, for the table.
    pub fn word(&self) -> &'static str {
        match self {
            Kind::Commands(_) => "commands",
            Kind::Rust(_) => "rust",
        }
    }

    /// Whether the submission has something for `exercise`.
    pub fn has(&self, exercise: &str) -> bool {
        match self {
            Kind::Commands(commands) => commands.contains_key(exercise),
            Kind::Rust(programs) => programs.iter().any(|p| p == exercise),
        }
    }
}

/// Reads what a student's folder holds. Names in `commands.toml` that are
/// no exercise come back as notes.
pub fn inspect(folder: &Path, exercises: &[Exercise]) -> Result<(Kind, Vec<String>)> {
    let commands_file = folder.join(COMMANDS_FILE);
    let crate_dir = folder.join(CRATE_DIR);
    let mut notes = Vec::new();
    if commands_file.is_file() {
        let text = fs::read_to_string(&commands_file)
            .with_context(|| format!("cannot read {COMMANDS_FILE}"))?;
        let commands: BTreeMap<String, String> = toml::from_str(&text).with_context(|| {
            format!("{COMMANDS_FILE} is not a list of `exercise-name = \"command line\"`")
        })?;
        for name in commands.keys() {
            if !exercises.iter().any(|e| &e.name == name) {
                notes.push(format!(
                    "{COMMANDS_FILE} names `{name}`, which is no exercise"
                ));
            }
        }
        return Ok((Kind::Commands(commands), notes));
    }
    if crate_dir.is_dir() {
        let bin = crate_dir.join("src").join("bin");
        let programs = exercises
            .iter()
            .filter(|e| bin.join(format!("{}.rs", e.name)).is_file())
            .map(|e| e.name.clone())
            .collect();
        return Ok((Kind::Rust(programs), notes));
    }
    bail!("neither {COMMANDS_FILE} nor {CRATE_DIR}/ in the folder")
}

/// Copies what is graded of a submission into `to`: the whole folder for
/// commands, `my-exercises/src/` for Rust. Symbolic links, `.git` and
/// `target` folders are left out.
pub fn copy(folder: &Path, kind: &Kind, to: &Path) -> Result<()> {
    let mut budget = MAX_COPY;
    match kind {
        Kind::Commands(_) => copy_tree(folder, to, &mut budget),
        Kind::Rust(_) => copy_tree(
            &folder.join(CRATE_DIR).join("src"),
            &to.join("src"),
            &mut budget,
        ),
    }
}

fn copy_tree(from: &Path, to: &Path, budget: &mut u64) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        if kind.is_dir() && name != ".git" && name != "target" {
            copy_tree(&entry.path(), &to.join(&name), budget)?;
        } else if kind.is_file() {
            let size = entry.metadata()?.len();
            if size > *budget {
                bail!(
                    "the submission holds more than {} MiB",
                    MAX_COPY / 1024 / 1024
                );
            }
            *budget -= size;
            fs::copy(entry.path(), to.join(&name))
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Makes the crate in the copy `dir` and builds its `programs`, with the
/// time and output limits of `limits`. On failure, returns the compiler's
/// first error, for the table.
pub fn build(
    root: &Path,
    exercises: &[Exercise],
    krate: &StudentCrate,
    programs: &[String],
    limits: &Limits,
) -> Result<(), String> {
    krate
        .init(root, exercises)
        .map_err(|err| format!("cannot make the crate: {err:#}"))?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--quiet", "--message-format", "short"])
        .arg("--manifest-path")
        .arg(krate.dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&krate.target_dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_BUILD_DIR")
        .env("CARGO_TERM_COLOR", "never");
    if let Some(build_dir) = &krate.build_dir {
        command.env("CARGO_BUILD_BUILD_DIR", build_dir);
    }
    for name in programs {
        command.arg("--bin").arg(krate.program_name(name));
    }
    let outcome = limits::run(command, limits).map_err(|err| format!("cannot run cargo: {err}"))?;
    match outcome.ended {
        Ended::Exited(status) if status.success() => Ok(()),
        Ended::Exited(_) => Err(first_error(&String::from_utf8_lossy(&outcome.stderr))),
        Ended::TimeLimit => Err(format!(
            "the build took longer than {} s",
            limits.time.as_secs()
        )),
        Ended::TooManyProcesses(n) => Err(format!("the build started {n} processes")),
        Ended::Interrupted => Err("interrupted".into()),
    }
}

/// The compiler's first error, without the copy's temporary path.
fn first_error(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains("error"))
        .or_else(|| stderr.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("cargo build failed");
    // `/tmp/grade-XXXX/alice-123/src/bin/x.rs:3:5: error...` reads better
    // as `src/bin/x.rs:3:5: error...`.
    match line.find("src/bin/") {
        Some(at) if line[..at].contains('/') => line[at..].trim().to_string(),
        _ => line.trim().to_string(),
    }
}

/// Deletes what cargo made for the programs of a graded copy: its programs
/// are named after the copy, unique to this run, so nothing else uses
/// them, and each weighs megabytes. Best effort.
pub fn forget_programs(krate: &StudentCrate, programs: &[String]) {
    let mut profile_dirs = vec![krate.target_dir.join("debug")];
    if let Some(build_dir) = &krate.build_dir {
        profile_dirs.push(build_dir.join("debug"));
    }
    for name in programs {
        let program = krate.program_name(name);
        let _ = fs::remove_file(krate.target_dir.join("debug").join(&program));
        let _ = fs::remove_file(krate.target_dir.join("debug").join(format!("{program}.d")));
        let crate_name = format!("{}-", program.replace('-', "_"));
        for dir in &profile_dirs {
            for sub in ["deps", "incremental"] {
                let Ok(entries) = fs::read_dir(dir.join(sub)) else {
                    continue;
                };
                for entry in entries.flatten() {
                    if entry.file_name().to_string_lossy().starts_with(&crate_name) {
                        let path = entry.path();
                        let _ = fs::remove_file(&path).or_else(|_| fs::remove_dir_all(&path));
                    }
                }
            }
        }
    }
    let fingerprint = format!("{}-", krate.package);
    for dir in &profile_dirs {
        let Ok(entries) = fs::read_dir(dir.join(".fingerprint")) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_string_lossy()
                .starts_with(&fingerprint)
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}
