//! The list of exercises, read from each chapter's `exercises/exercises.toml`.
//!
//! ```toml
//! [[exercise]]
//! name = "ch1-udp-echo"          # also the program's name
//! title = "A UDP echo server that keeps message boundaries"
//! solution = "udp_echo.rs"       # the reference solution, in this folder
//! args = ["--port", "{port}"]    # how the checker starts the program
//! hint = """..."""
//!
//! # What varies from one run of the checker to the next, for the book's
//! # transcripts of it: [regex, replacement] (see `crate::transcript`).
//! transcript_replace = [["took \\d+ ms", "took 5 ms"]]
//!
//! # Runs of the checker on other programs that the book shows, each in
//! # book/chN/transcripts/BLOCK.txt (the untouched starter's verdict is
//! # always in book/chN/transcripts/exercise-NAME.txt).
//! [[exercise.shown]]
//! block = "exercise-ch1-udp-echo-python"
//! cmd = "python3 chapters/ch1-families/exercises/python/udp_echo_1024.py --port {port}"
//! requires = ["python3"]          # where one is missing, the run is SKIPPED
//! ```
//!
//! Like rustlings' `info.toml`, the file is the one place a teacher edits to
//! reword a title or a hint. The starter of each exercise is
//! `exercises/starters/<solution file>`, made from the solution by
//! `cargo exercise sync`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::starter::make_starter;

/// One exercise, as its chapter's `exercises.toml` describes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Unique across the book, `chN-...`; also the name of its program.
    pub name: String,
    /// What the student builds, in a line.
    pub title: String,
    /// The reference solution's file name, in the chapter's `exercises/`.
    pub solution: String,
    /// The program's arguments; `{port}` and `{path}` are filled in by the
    /// checker (see `book_support::check`).
    #[serde(default)]
    pub args: Vec<String>,
    /// Shown by `cargo exercise hint NAME`.
    pub hint: String,
    /// `[regex, replacement]` pairs applied to the book's transcripts of
    /// this exercise's checker, after the usual normalisation: for what
    /// varies from run to run (see [`crate::transcript`]).
    #[serde(default)]
    pub transcript_replace: Vec<[String; 2]>,
    /// Runs of the checker on other programs that the book shows.
    #[serde(default)]
    pub shown: Vec<Shown>,
    /// The chapter crate's folder, filled in when the file is read.
    #[serde(skip)]
    pub chapter_dir: PathBuf,
}

/// A run of `cargo exercise check NAME --cmd CMD` that the book shows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shown {
    /// Its block, `book/chN/transcripts/BLOCK.txt`; the name starts with
    /// `exercise-`.
    pub block: String,
    /// The command line given to `--cmd`, run from the top of the repository.
    pub cmd: String,
    /// Programs it needs from PATH (`python3`); where one is missing, the
    /// run is skipped, and says so.
    #[serde(default)]
    pub requires: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExercisesFile {
    exercise: Vec<Exercise>,
}

impl Exercise {
    /// The chapter crate's folder name, e.g. `ch1-families`.
    pub fn chapter(&self) -> String {
        self.chapter_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The reference solution's path.
    pub fn solution_path(&self) -> PathBuf {
        self.chapter_dir.join("exercises").join(&self.solution)
    }

    /// The committed starter's path, which the book includes.
    pub fn starter_path(&self) -> PathBuf {
        self.chapter_dir
            .join("exercises")
            .join("starters")
            .join(&self.solution)
    }

    /// The starter as it should be: a header, then the solution with every
    /// marked region replaced by a `todo!()`.
    pub fn expected_starter(&self) -> Result<String> {
        let path = self.solution_path();
        let solution =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let body = make_starter(&solution)
            .with_context(|| format!("cannot make a starter from {}", path.display()))?;
        Ok(format!(
            "// Exercise {name}: {title}\n\
             // Run it: `{run}`\n\
             // Check it: `cargo exercise check {name}`. Stuck? `cargo exercise hint {name}`.\n\
             \n{body}",
            name = self.name,
            title = self.title,
            run = self.run_line(),
        ))
    }

    /// The command that runs the student's copy by hand: port 0 (the
    /// program prints the port it got), a socket under /tmp, the student's
    /// own folder to serve.
    pub fn run_line(&self) -> String {
        let mut words = vec![format!(
            "cargo run --manifest-path my-exercises/Cargo.toml --bin {} --",
            self.name
        )];
        let mut previous = "";
        for arg in &self.args {
            let word = match arg.as_str() {
                "{port}" => "0".to_string(),
                "{path}" if previous == "--root" => "my-exercises".to_string(),
                "{path}" => format!("/tmp/{}.sock", self.name),
                other => other.to_string(),
            };
            words.push(word);
            previous = arg;
        }
        words.join(" ")
    }
}

/// Every exercise of the book, in chapter order.
pub fn load(root: &Path) -> Result<Vec<Exercise>> {
    let mut exercises = Vec::new();
    for chapter_dir in chapter_dirs(root)? {
        let file = chapter_dir.join("exercises").join("exercises.toml");
        if !file.exists() {
            continue;
        }
        let text =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let parsed: ExercisesFile =
            toml::from_str(&text).with_context(|| format!("{} is malformed", file.display()))?;
        for mut exercise in parsed.exercise {
            exercise.chapter_dir = chapter_dir.clone();
            exercises.push(exercise);
        }
    }
    check_names_are_unique(&exercises)?;
    Ok(exercises)
}

/// The chapter crates' folders, `chapters/ch1-...`, sorted by chapter number.
pub fn chapter_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let chapters = root.join("chapters");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&chapters)
        .with_context(|| format!("cannot list {}", chapters.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("Cargo.toml").is_file())
        .collect();
    dirs.sort_by_key(|dir| chapter_number(dir));
    Ok(dirs)
}

fn chapter_number(dir: &Path) -> (u32, String) {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digits: String = name
        .trim_start_matches("ch")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (digits.parse().unwrap_or(u32::MAX), name)
}

fn check_names_are_unique(exercises: &[Exercise]) -> Result<()> {
    for (i, a) in exercises.iter().enumerate() {
        if exercises[..i].iter().any(|b| b.name == a.name) {
            bail!("two exercises are named `{}`", a.name);
        }
    }
    Ok(())
}

/// Finds one exercise by name, with a helpful error that lists the names.
pub fn find<'a>(exercises: &'a [Exercise], name: &str) -> Result<&'a Exercise> {
    exercises.iter().find(|e| e.name == name).ok_or_else(|| {
        let names: Vec<&str> = exercises.iter().map(|e| e.name.as_str()).collect();
        anyhow::anyhow!(
            "no exercise is named `{name}`; the exercises are: {}",
            names.join(", ")
        )
    })
}
