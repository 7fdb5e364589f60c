//! The verdicts of `cargo exercise check` for a machine to read:
//! `--format json` (the schema is `checker/results.schema.json`, modelled
//! on Exercism's `results.json`) and `--format junit` (JUnit XML, which CI
//! systems show). `--format human`, the default, is [`crate::verdict::write_check`].
//!
//! Exit codes, in every format: 0 when everything checked passed, 1 when
//! something failed, 2 for a usage error or a build error.

use std::fmt::Write as _;

use serde::Serialize;

use crate::verdict::Verdict;

/// The version of the JSON format, its `"version"` field.
pub const JSON_VERSION: u32 = 1;

/// How `cargo exercise check` writes its verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// For a person: each verdict as soon as it is ready, then the progress.
    #[default]
    Human,
    /// One JSON document (see `checker/results.schema.json`).
    Json,
    /// JUnit XML: a test suite per exercise, a test case per expectation.
    Junit,
}

/// The whole run, as `--format json` writes it.
#[derive(Debug, Serialize)]
pub struct Results {
    /// [`JSON_VERSION`].
    pub version: u32,
    /// `pass`, `fail` or `error`.
    pub status: Status,
    /// Why, for `error`: the compiler's messages for a build error.
    pub message: Option<String>,
    /// One per exercise checked.
    pub exercises: Vec<ExerciseResult>,
}

/// A status, written in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything held.
    Pass,
    /// An expectation did not hold.
    Fail,
    /// Nothing could be judged: a usage error, a build error.
    Error,
}

/// One exercise's verdict.
#[derive(Debug, Serialize)]
pub struct ExerciseResult {
    /// The exercise's name, `chN-...`.
    pub name: String,
    /// Its title.
    pub title: String,
    /// `pass` or `fail`.
    pub status: Status,
    /// Anything to say about the exercise as a whole.
    pub message: Option<String>,
    /// The expectations that held, in order, then the first that did not.
    pub tests: Vec<TestResult>,
}

/// One expectation.
#[derive(Debug, Serialize)]
pub struct TestResult {
    /// The expectation, as the human format writes it.
    pub name: String,
    /// `pass` or `fail`.
    pub status: Status,
    /// For a failure: what should have happened.
    pub expected: Option<String>,
    /// For a failure: what happened instead.
    pub got: Option<String>,
    /// For a failure: anything else worth knowing.
    pub note: Option<String>,
}

impl From<&Verdict> for ExerciseResult {
    fn from(verdict: &Verdict) -> Self {
        let mut tests: Vec<TestResult> = verdict
            .passed
            .iter()
            .map(|name| TestResult {
                name: name.clone(),
                status: Status::Pass,
                expected: None,
                got: None,
                note: None,
            })
            .collect();
        if let Some(failure) = &verdict.failure {
            tests.push(TestResult {
                name: failure.expectation.clone(),
                status: Status::Fail,
                expected: Some(failure.expected.clone()),
                got: Some(failure.got.clone()),
                note: failure.note.clone(),
            });
        }
        ExerciseResult {
            name: verdict.name.clone(),
            title: verdict.title.clone(),
            status: if verdict.is_pass() {
                Status::Pass
            } else {
                Status::Fail
            },
            message: None,
            tests,
        }
    }
}

impl Results {
    /// The results of a run that judged `verdicts`.
    pub fn judged(verdicts: &[Verdict]) -> Self {
        let status = if verdicts.iter().all(Verdict::is_pass) {
            Status::Pass
        } else {
            Status::Fail
        };
        Results {
            version: JSON_VERSION,
            status,
            message: None,
            exercises: verdicts.iter().map(ExerciseResult::from).collect(),
        }
    }

    /// The results of a run that could not judge: `message` says why.
    pub fn error(message: impl Into<String>) -> Self {
        Results {
            version: JSON_VERSION,
            status: Status::Error,
            message: Some(message.into()),
            exercises: Vec::new(),
        }
    }

    /// The JSON document, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("plain data serialises");
        text.push('\n');
        text
    }

    /// The JUnit XML document: `<testsuites>`, a `<testsuite>` per exercise,
    /// a `<testcase>` per expectation; a failing one holds a `<failure>`
    /// whose text gives what was expected, what came back and the note. A
    /// run that could not judge is one suite, `cargo exercise check`, whose
    /// one test case holds an `<error>` with the message.
    pub fn to_junit(&self) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let count = |status: Status| {
            self.exercises
                .iter()
                .flat_map(|e| &e.tests)
                .filter(|t| t.status == status)
                .count()
        };
        let tests: usize = self.exercises.iter().map(|e| e.tests.len()).sum();
        let errors = usize::from(self.status == Status::Error);
        let _ = writeln!(
            xml,
            "<testsuites name=\"cargo exercise check\" tests=\"{}\" failures=\"{}\" errors=\"{errors}\">",
            tests + errors,
            count(Status::Fail),
        );
        if let Some(message) = self.message.as_deref().filter(|_| errors > 0) {
            let _ = writeln!(
                xml,
                "  <testsuite name=\"cargo exercise check\" tests=\"1\" failures=\"0\" errors=\"1\">\n\
                 \x20   <testcase classname=\"cargo exercise check\" name=\"the programs build and the checker runs\">\n\
                 \x20     <error message=\"{}\">{}</error>\n\
                 \x20   </testcase>\n\
                 \x20 </testsuite>",
                escape(message.lines().next().unwrap_or_default()),
                escape_text(message),
            );
        }
        for exercise in &self.exercises {
            let failures = exercise
                .tests
                .iter()
                .filter(|t| t.status == Status::Fail)
                .count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
                escape(&exercise.name),
                exercise.tests.len(),
            );
            let _ = writeln!(
                xml,
                "    <properties>\n      <property name=\"title\" value=\"{}\"/>\n    </properties>",
                escape(&exercise.title)
            );
            for test in &exercise.tests {
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    escape(&exercise.name),
                    escape(&test.name)
                );
                if test.status == Status::Pass {
                    xml.push_str("/>\n");
                    continue;
                }
                let mut text = format!(
                    "expected: {}\ngot:      {}",
                    test.expected.as_deref().unwrap_or_default(),
                    test.got.as_deref().unwrap_or_default()
                );
                if let Some(note) = &test.note {
                    let _ = write!(text, "\nnote:     {note}");
                }
                let _ = writeln!(
                    xml,
                    ">\n      <failure message=\"{}\" type=\"expectation\">{}</failure>\n    </testcase>",
                    escape(&test.name),
                    escape_text(&text)
                );
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }
}

/// `text` as an XML attribute value: the five special characters as
/// entities, and the control characters XML 1.0 cannot hold written out as
/// `\u{1b}` (tab and newline stay; in an attribute they become entities).
fn escape(text: &str) -> String {
    escape_as(text, true)
}

/// `text` as XML text: [`escape`], but quotes, newlines and tabs stay as
/// they are.
fn escape_text(text: &str) -> String {
    escape_as(text, false)
}

fn escape_as(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if !attribute => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use book_support::check::Failure;

    use super::*;

    fn verdicts() -> Vec<Verdict> {
        vec![
            Verdict {
                name: "ch1-a".into(),
                title: "A & B".into(),
                passed: vec!["one".into(), "two".into()],
                failure: None,
            },
            Verdict {
                name: "ch1-b".into(),
                title: "C".into(),
                passed: vec!["one".into()],
                failure: Some(Failure::new("<three>", "\"x\"", "\u{1b}[31m").with_note("a note")),
            },
        ]
    }

    #[test]
    fn json_has_every_expectation_and_the_failure() {
        let results = Results::judged(&verdicts());
        let json: serde_json::Value = serde_json::from_str(&results.to_json()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["status"], "fail");
        assert_eq!(json["exercises"][0]["status"], "pass");
        assert_eq!(json["exercises"][1]["tests"][1]["status"], "fail");
        assert_eq!(json["exercises"][1]["tests"][1]["expected"], "\"x\"");
        assert_eq!(json["exercises"][1]["tests"][1]["note"], "a note");
        assert!(json["exercises"][1]["tests"][0]["got"].is_null());
    }

    #[test]
    fn junit_is_xml_with_a_failure_element() {
        let xml = Results::judged(&verdicts()).to_junit();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let failures: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .collect();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].attribute("message"), Some("<three>"));
        let text = failures[0].text().unwrap();
        assert!(text.contains("expected: \"x\""), "{text}");
        assert!(text.contains("\\u{1b}[31m"), "{text}");
        assert!(text.contains("note:     a note"), "{text}");

        let error = Results::error("cargo build failed:\nerror[E0308]: <mismatched>").to_junit();
        let doc = roxmltree::Document::parse(&error).unwrap();
        assert!(doc.descendants().any(|n| n.has_tag_name("error")));
    }
}
