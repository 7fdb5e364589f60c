//! `cargo exercise check --format json|junit`, as an autograder reads it,
//! and the exit codes, in every format: 0 everything checked passed, 1
//! something failed, 2 a usage error or a build error.
//!
//! The JSON output of a pass, a failure and a build error is validated
//! against the documented schema, `checker/results.schema.json`; the JUnit
//! XML of a pass and a failure is parsed.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use checker::catalog;

const NAME: &str = "ch1-udp-echo";

/// `cargo exercise --dir DIR ...`, with no environment a student would not have.
fn exercise(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("exercise").unwrap();
    command
        .arg("--dir")
        .arg(dir)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    command
}

/// A fresh folder for a crate of the student's shape, under the book's
/// target folder.
fn fresh(name: &str) -> PathBuf {
    let dir = checker::root().join("target/exercises").join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    dir
}

fn program_file(dir: &Path) -> PathBuf {
    dir.join("src/bin").join(format!("{NAME}.rs"))
}

fn solve(dir: &Path) {
    let exercises = catalog::load(&checker::root()).unwrap();
    let exercise = catalog::find(&exercises, NAME).unwrap();
    fs::copy(exercise.solution_path(), program_file(dir)).unwrap();
}

/// Runs `check NAME --format FORMAT` in `dir`: its exit code and stdout.
fn check(dir: &Path, format: &str) -> (i32, String) {
    let output = exercise(dir)
        .args(["check", NAME, "--format", format])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (output.status.code().unwrap(), stdout)
}

/// The documented schema, compiled (its `$schema` says draft 2020-12).
fn schema() -> (boon::Schemas, boon::SchemaIndex) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("results.schema.json");
    let mut schemas = boon::Schemas::new();
    let index = boon::Compiler::new()
        .compile(&path.display().to_string(), &mut schemas)
        .unwrap_or_else(|err| panic!("results.schema.json is not a valid JSON Schema: {err:#}"));
    (schemas, index)
}

/// Parses `stdout` as JSON and validates it against the schema.
fn valid_json(stdout: &str) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|err| panic!("not JSON ({err}):\n{stdout}"));
    let (schemas, index) = schema();
    if let Err(errors) = schemas.validate(&json, index) {
        panic!("does not match results.schema.json:\n{errors:#}\n{stdout}");
    }
    json
}

/// The `<testcase>` elements of a JUnit document, with their `<failure>`
/// text if any.
fn junit_cases(stdout: &str) -> Vec<(String, Option<String>)> {
    let doc = roxmltree::Document::parse(stdout)
        .unwrap_or_else(|err| panic!("not XML ({err}):\n{stdout}"));
    let root = doc.root_element();
    assert!(root.has_tag_name("testsuites"), "{stdout}");
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a test suite");
    assert_eq!(suite.attribute("name"), Some(NAME));
    suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            let failure = case
                .children()
                .find(|n| n.has_tag_name("failure"))
                .map(|f| f.text().unwrap_or_default().to_string());
            (case.attribute("name").unwrap().to_string(), failure)
        })
        .collect()
}

#[test]
fn a_fail_a_pass_and_a_build_error_in_json_and_junit() {
    let dir = fresh("formats-student");
    exercise(&dir).arg("init").assert().success();

    // The untouched starter fails: exit code 1.
    let (code, stdout) = check(&dir, "json");
    assert_eq!(code, 1, "{stdout}");
    let json = valid_json(&stdout);
    assert_eq!(json["status"], "fail");
    let tests = json["exercises"][0]["tests"].as_array().unwrap();
    let last = tests.last().unwrap();
    assert_eq!(last["status"], "fail");
    assert!(
        last["note"].as_str().unwrap().contains("not done yet"),
        "{stdout}"
    );

    let (code, stdout) = check(&dir, "junit");
    assert_eq!(code, 1, "{stdout}");
    let cases = junit_cases(&stdout);
    let failure = cases.last().unwrap().1.as_deref().expect("a <failure>");
    for part in ["expected: ", "got: ", "note: ", "not done yet"] {
        assert!(failure.contains(part), "{part:?} in {failure}");
    }

    // Solved: exit code 0, every expectation a pass.
    solve(&dir);
    let (code, stdout) = check(&dir, "json");
    assert_eq!(code, 0, "{stdout}");
    let json = valid_json(&stdout);
    assert_eq!(json["status"], "pass");
    assert_eq!(json["exercises"][0]["name"], NAME);
    let tests = json["exercises"][0]["tests"].as_array().unwrap();
    assert!(!tests.is_empty() && tests.iter().all(|t| t["status"] == "pass"));

    let (code, stdout) = check(&dir, "junit");
    assert_eq!(code, 0, "{stdout}");
    let cases = junit_cases(&stdout);
    assert_eq!(cases.len(), tests.len());
    assert!(cases.iter().all(|(_, failure)| failure.is_none()));

    // A program that does not compile: exit code 2, status error, and the
    // compiler's messages.
    let broken = fs::read_to_string(program_file(&dir)).unwrap() + "\nfn broken( {}\n";
    fs::write(program_file(&dir), broken).unwrap();
    let (code, stdout) = check(&dir, "json");
    assert_eq!(code, 2, "{stdout}");
    let json = valid_json(&stdout);
    assert_eq!(json["status"], "error");
    assert!(
        json["message"].as_str().unwrap().contains("error"),
        "{stdout}"
    );
    let (code, stdout) = check(&dir, "junit");
    assert_eq!(code, 2, "{stdout}");
    let doc = roxmltree::Document::parse(&stdout).unwrap();
    assert!(doc.descendants().any(|n| n.has_tag_name("error")));

    // The human format keeps the same exit codes.
    let (code, stdout) = check(&dir, "human");
    assert_eq!(code, 2, "{stdout}");
}

#[test]
fn usage_errors_exit_with_code_2() {
    let dir = fresh("formats-usage");
    // The checker's own: no such exercise (with a JSON document that says so).
    let output = exercise(&dir)
        .args(["check", "ch9-nothing", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json = valid_json(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(json["status"], "error");
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("no exercise is named")
    );
    // A command line that cannot be split.
    exercise(&dir)
        .args(["check", NAME, "--cmd", "python3 'oops"])
        .assert()
        .code(2);
    // clap's: an unknown format, --cmd without an exercise, an unknown flag.
    for args in [
        &["check", "--format", "yaml"][..],
        &["check", "--cmd", "python3 x.py"],
        &["check", "--no-such-flag"],
    ] {
        exercise(&dir).args(args).assert().code(2);
    }
}

/// A program in another language, judged with `--cmd`: the JSON of a pass
/// and of a failure validate too.
#[test]
fn a_cmd_verdict_validates() {
    if book_support::tools::python3().is_none() {
        eprintln!("SKIPPED: no python3");
        return;
    }
    let fixture = |name: &str| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name)
            .display()
            .to_string()
    };
    let dir = fresh("formats-cmd");
    for (file, code, status) in [
        ("udp_echo.py", 0, "pass"),
        ("udp_echo_truncating.py", 1, "fail"),
    ] {
        let cmd = format!("python3 {} --port {{port}}", fixture(file));
        let output = exercise(&dir)
            .args(["check", NAME, "--cmd", &cmd, "--format", "json"])
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(code), "{stdout}");
        assert_eq!(valid_json(&stdout)["status"], status);
    }
}

#[test]
fn the_schema_rejects_a_result_that_breaks_it() {
    // The validation can fail: a status outside the schema's list, and a
    // result with no exercises, are both refused.
    let (schemas, index) = schema();
    let error = serde_json::json!({
        "version": 1, "status": "error", "message": "no such exercise", "exercises": []
    });
    assert!(schemas.validate(&error, index).is_ok());
    let wrong_status = serde_json::json!({
        "version": 1, "status": "maybe", "message": "no such exercise", "exercises": []
    });
    assert!(schemas.validate(&wrong_status, index).is_err());
    let no_exercises = serde_json::json!({ "version": 1, "status": "error", "message": "no" });
    assert!(schemas.validate(&no_exercises, index).is_err());
}
