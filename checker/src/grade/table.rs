//! The class's table: a row per student, a column per exercise, and the
//! first failing expectation; written as CSV and as JSON.
//!
//! Each cell comes from the checker's own verdict, `cargo exercise check
//! --format json` (the schema is `checker/results.schema.json`), read here.

use std::io::Write;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The version of the grades' JSON, its `"version"` field.
pub const GRADES_VERSION: u32 = 1;

/// A verdict of `cargo exercise check --format json`, as far as the grader
/// reads it.
#[derive(Debug, Deserialize)]
pub struct CheckResults {
    /// The format's version: 1.
    pub version: u32,
    /// `pass`, `fail` or `error`.
    pub status: String,
    /// Why, for `error`.
    pub message: Option<String>,
    /// One entry per exercise checked.
    pub exercises: Vec<CheckedExercise>,
}

/// One exercise of [`CheckResults`].
#[derive(Debug, Deserialize)]
pub struct CheckedExercise {
    /// Its name.
    pub name: String,
    /// `pass`, `fail` or `error`.
    pub status: String,
    /// Why, for `error`.
    pub message: Option<String>,
    /// The expectations that held, then the first that did not.
    pub tests: Vec<CheckedTest>,
}

/// One expectation of [`CheckedExercise`].
#[derive(Debug, Deserialize)]
pub struct CheckedTest {
    /// The expectation.
    pub name: String,
    /// `pass` or `fail`.
    pub status: String,
    /// For `fail`: what should have happened.
    pub expected: Option<String>,
    /// For `fail`: what happened instead.
    pub got: Option<String>,
    /// For `fail`: anything else worth knowing.
    pub note: Option<String>,
}

/// A cell's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every expectation held.
    Pass,
    /// An expectation did not hold.
    Fail,
    /// No verdict: the build failed, the time or a limit ran out, or the
    /// checker could not run.
    Error,
    /// The submission has nothing for this exercise.
    Missing,
}

impl Status {
    /// The word in the CSV and on the terminal.
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Missing => "missing",
        }
    }
}

/// The first expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expectation {
    /// The expectation, as the checker words it.
    pub name: String,
    /// What should have happened.
    pub expected: Option<String>,
    /// What happened instead.
    pub got: Option<String>,
    /// Anything else worth knowing.
    pub note: Option<String>,
}

/// One exercise of one student.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The exercise.
    pub exercise: String,
    /// How it went.
    pub status: Status,
    /// How many expectations held.
    pub passed: usize,
    /// For `fail`: the first expectation that did not hold.
    pub failed: Option<Expectation>,
    /// For `error`: why there is no verdict.
    pub message: Option<String>,
}

impl Cell {
    /// A cell with no verdict: `status` (error or missing) and why.
    pub fn without_verdict(exercise: &str, status: Status, message: Option<String>) -> Self {
        Cell {
            exercise: exercise.to_string(),
            status,
            passed: 0,
            failed: None,
            message,
        }
    }

    /// The cell from the checker's verdict on this one exercise.
    pub fn from_check(exercise: &str, results: &CheckResults) -> Self {
        let Some(checked) = results.exercises.iter().find(|e| e.name == exercise) else {
            let why = results
                .message
                .clone()
                .unwrap_or_else(|| format!("the checker gave no verdict on {exercise}"));
            return Cell::without_verdict(exercise, Status::Error, Some(why));
        };
        let status = match checked.status.as_str() {
            "pass" => Status::Pass,
            "fail" => Status::Fail,
            _ => Status::Error,
        };
        let failed = checked
            .tests
            .iter()
            .find(|t| t.status != "pass")
            .map(|t| Expectation {
                name: t.name.clone(),
                expected: t.expected.clone(),
                got: t.got.clone(),
                note: t.note.clone(),
            });
        Cell {
            exercise: exercise.to_string(),
            status,
            passed: checked.tests.iter().filter(|t| t.status == "pass").count(),
            failed,
            message: checked.message.clone(),
        }
    }

    /// Why the exercise did not pass, in a line: the expectation, or the
    /// reason there is no verdict.
    pub fn why(&self) -> Option<String> {
        match (self.status, &self.failed, &self.message) {
            (Status::Pass | Status::Missing, _, _) => None,
            (_, Some(failed), _) => Some(failed.name.clone()),
            (_, None, Some(message)) => Some(message.lines().next().unwrap_or("").to_string()),
            (_, None, None) => Some("no verdict".to_string()),
        }
    }
}

/// One student's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The student's folder name.
    pub student: String,
    /// `rust`, `commands`, or `none` when the folder holds neither.
    pub kind: String,
    /// How many exercises passed.
    pub passed: usize,
    /// How many were graded (the table's columns).
    pub total: usize,
    /// The first exercise that did not pass (missing ones aside) and why:
    /// `exercise: expectation`.
    pub first_failure: Option<String>,
    /// About the submission as a whole: why nothing was graded, a name in
    /// `commands.toml` that is no exercise.
    pub notes: Vec<String>,
    /// One cell per exercise, in the table's order.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The row from its cells.
    pub fn new(student: &str, kind: &str, notes: Vec<String>, cells: Vec<Cell>) -> Self {
        let first_failure = cells
            .iter()
            .find_map(|c| c.why().map(|why| format!("{}: {why}", c.exercise)));
        Row {
            student: student.to_string(),
            kind: kind.to_string(),
            passed: cells.iter().filter(|c| c.status == Status::Pass).count(),
            total: cells.len(),
            first_failure,
            notes,
            cells,
        }
    }
}

/// The whole table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grades {
    /// [`GRADES_VERSION`].
    pub version: u32,
    /// The columns: the exercises graded, in the book's order.
    pub exercises: Vec<String>,
    /// One row per student, by folder name.
    pub students: Vec<Row>,
}

impl Grades {
    /// Writes the table as CSV: `student, kind, passed, total`, a status
    /// per exercise, then `first failure` and `notes`.
    pub fn write_csv(&self, out: impl Write) -> Result<()> {
        let mut csv = csv::Writer::from_writer(out);
        let mut header = vec!["student", "kind", "passed", "total"];
        header.extend(self.exercises.iter().map(String::as_str));
        header.extend(["first failure", "notes"]);
        csv.write_record(&header)?;
        for row in &self.students {
            let mut record = vec![
                row.student.clone(),
                row.kind.clone(),
                row.passed.to_string(),
                row.total.to_string(),
            ];
            record.extend(row.cells.iter().map(|c| c.status.word().to_string()));
            record.push(row.first_failure.clone().unwrap_or_default());
            record.push(row.notes.join("; "));
            csv.write_record(&record)?;
        }
        csv.flush().context("cannot write the CSV")?;
        Ok(())
    }

    /// The table as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("the grades are plain data");
        text.push('\n');
        text
    }

    /// The short table for the terminal: a line per student, with how
    /// many passed and the first failure.
    pub fn summary(&self) -> String {
        let width = self
            .students
            .iter()
            .map(|r| r.student.chars().count())
            .max()
            .unwrap_or(0)
            .max("student".len());
        let mut out = format!("{:<width$}  passed  first failure\n", "student");
        for row in &self.students {
            let passed = format!("{}/{}", row.passed, row.total);
            let why = match (&row.first_failure, row.notes.first()) {
                (Some(failure), _) => failure.clone(),
                (None, Some(note)) => note.clone(),
                (None, None) => "-".to_string(),
            };
            out.push_str(&format!(
                "{:<width$}  {passed:<6}  {}\n",
                row.student,
                shorten(&why, 90)
            ));
        }
        out
    }
}

/// `text` cut to `max` characters, with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: &str = r#"{
      "version": 1, "status": "fail", "message": null,
      "exercises": [{
        "name": "ch1-udp-echo", "title": "A UDP echo server", "status": "fail", "message": null,
        "tests": [
          {"name": "listens on 127.0.0.1:40000", "status": "pass", "expected": null, "got": null, "note": null},
          {"name": "a 60,000-byte datagram comes back whole", "status": "fail",
           "expected": "one datagram of 60000 bytes", "got": "a datagram of 1024 bytes", "note": null}
        ]
      }]
    }"#;

    const BUILD_ERROR: &str = r#"{"version": 1, "status": "error",
      "message": "your program does not compile", "exercises": []}"#;

    #[test]
    fn a_failed_check_gives_its_first_failing_expectation() {
        let results: CheckResults = serde_json::from_str(FAILED).unwrap();
        let cell = Cell::from_check("ch1-udp-echo", &results);
        assert_eq!(cell.status, Status::Fail);
        assert_eq!(cell.passed, 1);
        assert_eq!(
            cell.why().as_deref(),
            Some("a 60,000-byte datagram comes back whole")
        );
        assert_eq!(
            cell.failed.unwrap().got.as_deref(),
            Some("a datagram of 1024 bytes")
        );
    }

    #[test]
    fn an_error_without_exercises_is_an_error_cell_with_its_message() {
        let results: CheckResults = serde_json::from_str(BUILD_ERROR).unwrap();
        let cell = Cell::from_check("ch1-udp-echo", &results);
        assert_eq!(cell.status, Status::Error);
        assert_eq!(cell.why().as_deref(), Some("your program does not compile"));
    }

    #[test]
    fn the_csv_has_a_row_per_student_and_a_column_per_exercise() {
        let results: CheckResults = serde_json::from_str(FAILED).unwrap();
        let grades = Grades {
            version: GRADES_VERSION,
            exercises: vec!["ch1-udp-echo".into(), "ch1-unix-echo".into()],
            students: vec![Row::new(
                "bob",
                "rust",
                Vec::new(),
                vec![
                    Cell::from_check("ch1-udp-echo", &results),
                    Cell::without_verdict("ch1-unix-echo", Status::Missing, None),
                ],
            )],
        };
        let mut csv = Vec::new();
        grades.write_csv(&mut csv).unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "student,kind,passed,total,ch1-udp-echo,ch1-unix-echo,first failure,notes\n\
             bob,rust,0,2,fail,missing,\"ch1-udp-echo: a 60,000-byte datagram comes back whole\",\n"
        );
        let back: Grades = serde_json::from_str(&grades.to_json()).unwrap();
        assert_eq!(back, grades);
    }
}
