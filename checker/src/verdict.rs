//! Running one exercise's checker against one program, and saying how it went.

use std::borrow::Borrow;
use std::fmt::Write as _;
use std::io;

use anyhow::{Result, bail};
use book_support::check::{Checker, Failure, Program, Session};

use crate::catalog::Exercise;

/// What a checker found.
#[derive(Debug)]
pub struct Verdict {
    /// The exercise's name.
    pub name: String,
    /// The exercise's title.
    pub title: String,
    /// The expectations that held, in order.
    pub passed: Vec<String>,
    /// The first that did not, if any.
    pub failure: Option<Failure>,
}

impl Verdict {
    /// Did every expectation hold?
    pub fn is_pass(&self) -> bool {
        self.failure.is_none()
    }

    /// The verdict as the student reads it.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", self.name, self.title);
        for step in &self.passed {
            let _ = writeln!(out, "  ok    {step}");
        }
        match &self.failure {
            None => {
                let _ = writeln!(out, "  PASS");
            }
            Some(failure) => {
                let text = failure.to_string();
                let mut lines = text.lines();
                if let Some(first) = lines.next() {
                    let _ = writeln!(out, "  FAIL  {first}");
                }
                for line in lines {
                    let _ = writeln!(out, "      {line}");
                }
                let _ = writeln!(out, "  Stuck? `cargo exercise hint {}`", self.name);
            }
        }
        out
    }
}

/// Writes what `cargo exercise check` prints for `verdicts`: each report as
/// soon as its verdict is ready, then the progress line. Returns how many
/// passed and how many there were.
///
/// The command prints through this function, and so do the book's
/// transcripts of it (see [`crate::transcript`]): the two cannot differ.
pub fn write_check<V: Borrow<Verdict>>(
    out: &mut impl io::Write,
    verdicts: impl IntoIterator<Item = V>,
) -> io::Result<(usize, usize)> {
    let (mut passes, mut total) = (0, 0);
    for verdict in verdicts {
        let verdict = verdict.borrow();
        out.write_all(verdict.report().as_bytes())?;
        out.flush()?;
        total += 1;
        if verdict.is_pass() {
            passes += 1;
        }
    }
    writeln!(out, "\nprogress: {passes} of {total} exercises pass")?;
    Ok((passes, total))
}

/// The program that `cargo exercise check NAME --cmd CMD` judges: `cmd`
/// split into words the way a shell would.
pub fn program_from_cmd(cmd: &str) -> Result<Program> {
    let Some(words) = shlex::split(cmd) else {
        bail!("cannot split the command line {cmd:?} (an unclosed quote?)");
    };
    Ok(Program::new(words))
}

/// Runs `exercise`'s checker against `program`.
pub fn judge(exercise: &Exercise, checkers: &[Checker], program: Program) -> Verdict {
    let mut verdict = Verdict {
        name: exercise.name.clone(),
        title: exercise.title.clone(),
        passed: Vec::new(),
        failure: None,
    };
    let Some(checker) = checkers.iter().find(|c| c.name == exercise.name) else {
        verdict.failure = Some(Failure::new(
            "the exercise has a checker",
            format!("a checker named `{}`", exercise.name),
            "none: this is a bug in the book, please report it",
        ));
        return verdict;
    };
    let mut session = match Session::new(program) {
        Ok(session) => session,
        Err(err) => {
            verdict.failure = Some(Failure::new(
                "making a scratch folder",
                "a temporary folder",
                err.to_string(),
            ));
            return verdict;
        }
    };
    let result = (checker.run)(&mut session);
    verdict.passed = session.passed().to_vec();
    verdict.failure = result.err();
    verdict
}

/// The program to judge, from a built binary and the exercise's arguments.
pub fn program_for(binary: &std::path::Path, exercise: &Exercise) -> Program {
    let mut words = vec![binary.to_string_lossy().into_owned()];
    words.extend(exercise.args.iter().cloned());
    Program::new(words)
}
