//! `cargo exercise` as a student and a teacher use it.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn exercise() -> Command {
    Command::cargo_bin("exercise").unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn python3_available() -> bool {
    book_support::tools::python3().is_some()
}

#[test]
fn list_names_every_exercise_by_chapter() {
    exercise()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("ch1-families"))
        .stdout(predicate::str::contains("ch1-udp-echo"));
}

#[test]
fn hint_prints_the_exercise_hint() {
    exercise()
        .args(["hint", "ch1-udp-echo"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ch1-udp-echo: "));
}

#[test]
fn an_unknown_exercise_is_one_error_line_that_lists_the_names() {
    exercise()
        .args(["hint", "ch9-nothing"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(
            "error: no exercise is named `ch9-nothing`",
        ))
        .stderr(predicate::str::contains("ch1-udp-echo"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn a_program_in_another_language_can_pass() {
    if !python3_available() {
        return;
    }
    let cmd = format!("python3 {} --port {{port}}", fixture("udp_echo.py"));
    exercise()
        .args(["check", "ch1-udp-echo", "--cmd", &cmd])
        .assert()
        .success()
        .stdout(predicate::str::contains("PASS"))
        .stdout(predicate::str::contains("progress: 1 of 1 exercises pass"));
}

#[test]
fn a_wrong_program_fails_with_what_was_expected_and_what_came_back() {
    if !python3_available() {
        return;
    }
    let cmd = format!(
        "python3 {} --port {{port}}",
        fixture("udp_echo_truncating.py")
    );
    exercise()
        .args(["check", "ch1-udp-echo", "--cmd", &cmd])
        .assert()
        .failure()
        .stdout(predicate::str::contains("FAIL"))
        .stdout(predicate::str::contains("expected:"))
        .stdout(predicate::str::contains("got:"))
        .stdout(predicate::str::contains("cargo exercise hint ch1-udp-echo"))
        .stdout(predicate::str::contains("progress: 0 of 1 exercises pass"));
}

#[test]
fn a_program_that_never_announces_its_address_fails_clearly() {
    exercise()
        .args(["check", "ch1-udp-echo", "--cmd", "echo hello"])
        .assert()
        .failure()
        .stdout(predicate::str::contains("listening on ADDR"));
}

#[test]
fn an_unclosed_quote_in_the_command_is_an_error() {
    exercise()
        .args(["check", "ch1-udp-echo", "--cmd", "python3 'oops"])
        .assert()
        .failure()
        .stderr(predicate::str::starts_with(
            "error: cannot split the command line",
        ));
}
