//! Where a student is: each exercise's state, found without building or
//! running anything, so that `cargo exercise` answers at once.
//!
//! - **not started**: the program file is missing, or is still the
//!   untouched starter, byte for byte;
//! - **done**: it passed at its last check, and the file has not changed
//!   since: `cargo exercise check` keeps, in the student's crate, a file
//!   `.progress` with a line `NAME HASH` for each exercise that passed, `HASH`
//!   being the MD5 of the source that passed. An edit after the pass changes
//!   the hash, and the exercise is "not yet" again until the next check;
//! - **not yet**: anything else (edited, and not passing as it is now).
//!
//! The next exercise suggested is the first, in the book's order, that is
//! not done.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use md5::{Digest, Md5};

use crate::catalog::Exercise;
use crate::student::StudentCrate;

/// The file, in the student's crate, that remembers what passed.
pub const PROGRESS_FILE: &str = ".progress";

/// An exercise's state for one student.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Passed at its last check, with the source it has now.
    Done,
    /// Edited, and not passing (or not checked since the edit).
    NotYet,
    /// The untouched starter, or no program at all.
    NotStarted,
}

impl State {
    /// How `cargo exercise` writes it.
    pub fn word(self) -> &'static str {
        match self {
            State::Done => "done",
            State::NotYet => "not yet",
            State::NotStarted => "not started",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// The hash a record keeps of a program's source: MD5, in hex.
pub fn source_hash(source: &[u8]) -> String {
    Md5::digest(source)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What passed, by exercise name: the hash of the source that passed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Record {
    passed: BTreeMap<String, String>,
}

impl Record {
    /// The record's file in the crate in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(PROGRESS_FILE)
    }

    /// Reads the record of the crate in `dir`; none yet is an empty record,
    /// and so is a line that is not `NAME HASH`.
    pub fn load(dir: &Path) -> Self {
        let text = fs::read_to_string(Self::path(dir)).unwrap_or_default();
        let passed = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (name, hash) = line.trim().split_once(' ')?;
                Some((name.to_string(), hash.trim().to_string()))
            })
            .collect();
        Record { passed }
    }

    /// Writes the record into the crate in `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut text = String::from(
            "# Made by `cargo exercise check`: each exercise that passed, and a hash\n\
             # of the source that passed. Editing a program makes it \"not yet\" again.\n",
        );
        for (name, hash) in &self.passed {
            text.push_str(&format!("{name} {hash}\n"));
        }
        let path = Self::path(dir);
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Notes the verdict of a check on the source whose hash is `hash`.
    pub fn note(&mut self, name: &str, hash: &str, passed: bool) {
        if passed {
            self.passed.insert(name.to_string(), hash.to_string());
        } else {
            self.passed.remove(name);
        }
    }

    /// Did the source whose hash is `hash` pass at the last check?
    pub fn passed(&self, name: &str, hash: &str) -> bool {
        self.passed.get(name).is_some_and(|h| h == hash)
    }
}

/// The state of `exercise` in `mine`, as the record says.
pub fn state(mine: &StudentCrate, record: &Record, exercise: &Exercise) -> Result<State> {
    let Ok(source) = fs::read(mine.program_source(&exercise.name)) else {
        return Ok(State::NotStarted);
    };
    if record.passed(&exercise.name, &source_hash(&source)) {
        return Ok(State::Done);
    }
    if source == exercise.expected_starter()?.as_bytes() {
        return Ok(State::NotStarted);
    }
    Ok(State::NotYet)
}

/// Every exercise's state, in the book's order.
pub fn states<'a>(
    mine: &StudentCrate,
    exercises: &'a [Exercise],
) -> Result<Vec<(&'a Exercise, State)>> {
    let record = Record::load(&mine.dir);
    exercises
        .iter()
        .map(|e| Ok((e, state(mine, &record, e)?)))
        .collect()
}

/// The exercise to do next: the first that is not done.
pub fn next<'a>(states: &[(&'a Exercise, State)]) -> Option<&'a Exercise> {
    states
        .iter()
        .find(|(_, state)| *state != State::Done)
        .map(|(e, _)| *e)
}

/// The list `cargo exercise` prints: every exercise and its state, by
/// chapter, then the progress and what to do next.
pub fn overview(mine: &StudentCrate, exercises: &[Exercise]) -> Result<String> {
    let states = states(mine, exercises)?;
    let width = exercises.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    let mut chapter = String::new();
    for (exercise, state) in &states {
        if exercise.chapter() != chapter {
            chapter = exercise.chapter();
            out.push_str(&format!("{chapter}\n"));
        }
        out.push_str(&format!(
            "  {:<11}  {:<width$}  {}\n",
            state.word(),
            exercise.name,
            exercise.title
        ));
    }
    let done = states.iter().filter(|(_, s)| *s == State::Done).count();
    out.push_str(&format!(
        "\nprogress: {done} of {} exercises done\n",
        states.len()
    ));
    match next(&states) {
        Some(exercise) if !mine.dir.join("Cargo.toml").is_file() => out.push_str(&format!(
            "next: `cargo exercise init`, then {name}: `cargo exercise watch {name}` \
             checks it each time you save it\n",
            name = exercise.name
        )),
        Some(exercise) => out.push_str(&format!(
            "next: {name}, in src/bin/{name}.rs: `cargo exercise watch {name}` \
             checks it each time you save it\n",
            name = exercise.name
        )),
        None => out.push_str("every exercise is done\n"),
    }
    Ok(out)
}

/// The reference solution of `exercise`, if `mine` has passed it with the
/// source it has now; else why not.
pub fn solution(mine: &StudentCrate, exercise: &Exercise) -> Result<String> {
    let state = state(mine, &Record::load(&mine.dir), exercise)?;
    if state != State::Done {
        let why = match state {
            State::NotStarted => "you have not started it".to_string(),
            _ => format!(
                "your program has not passed since you last changed it \
                 (`cargo exercise check {}` checks it)",
                exercise.name
            ),
        };
        anyhow::bail!(
            "the solution of {} is shown once your own program passes, and {why}",
            exercise.name
        );
    }
    let path = exercise.solution_path();
    fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, StudentCrate, Vec<Exercise>) {
        let root = crate::root();
        let exercises = crate::catalog::load(&root).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let mine = StudentCrate::elsewhere(&root, &scratch.path().join("student"));
        mine.init(&root, &exercises[..2]).unwrap();
        (scratch, mine, exercises)
    }

    #[test]
    fn a_starter_is_not_started_an_edit_not_yet_a_recorded_pass_done() {
        let (_scratch, mine, exercises) = setup();
        let first = &exercises[0];
        let before = states(&mine, &exercises).unwrap();
        assert!(before.iter().all(|(_, s)| *s == State::NotStarted));
        assert_eq!(next(&before).unwrap().name, first.name);

        let file = mine.program_source(&first.name);
        let edited = format!("{}\n// mine\n", fs::read_to_string(&file).unwrap());
        fs::write(&file, &edited).unwrap();
        let mut record = Record::load(&mine.dir);
        assert_eq!(state(&mine, &record, first).unwrap(), State::NotYet);
        assert!(solution(&mine, first).is_err());

        record.note(&first.name, &source_hash(edited.as_bytes()), true);
        record.save(&mine.dir).unwrap();
        let after = states(&mine, &exercises).unwrap();
        assert_eq!(after[0].1, State::Done);
        assert_eq!(next(&after).unwrap().name, exercises[1].name);
        assert!(solution(&mine, first).unwrap().contains("fn main"));
        let listing = overview(&mine, &exercises).unwrap();
        assert!(listing.contains(&format!(
            "progress: 1 of {} exercises done",
            exercises.len()
        )));
        assert!(listing.contains(&format!("next: {}", exercises[1].name)));

        // A later edit makes it "not yet" again, and hides the solution.
        fs::write(&file, format!("{edited}// more\n")).unwrap();
        assert_eq!(
            state(&mine, &Record::load(&mine.dir), first).unwrap(),
            State::NotYet
        );
        let refused = solution(&mine, first).unwrap_err().to_string();
        assert!(refused.contains("has not passed since"), "{refused}");
    }

    #[test]
    fn a_failed_check_forgets_the_pass() {
        let mut record = Record::default();
        record.note("a", "h1", true);
        assert!(record.passed("a", "h1"));
        assert!(!record.passed("a", "h2"));
        record.note("a", "h1", false);
        assert!(!record.passed("a", "h1"));
    }
}
