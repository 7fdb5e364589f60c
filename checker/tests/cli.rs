//! `cargo exercise` as a student and a teacher use it.

use std::path::Path;

use assert_cmd::Command;
use book_support::cli::LISTENING_PREFIX;
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
fn sync_check_says_every_committed_starter_matches_its_solution() {
    // What a maintainer runs after editing a solution; CI relies on this
    // test, not on a step of its own.
    exercise()
        .args(["sync", "--check"])
        .assert()
        .success()
        .stdout("every starter matches its solution\n");
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
        .stdout(predicate::str::contains(format!("{LISTENING_PREFIX}ADDR")));
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

/// The runs of the checker the book shows (`[[exercise.shown]]`), made by
/// the command itself as a reader runs it, from the top of the repository:
/// what it prints, normalised, is the committed transcript.
#[test]
fn the_shown_runs_print_what_the_book_shows() {
    let root = checker::root();
    let exercises = checker::catalog::load(&root).unwrap();
    let snapshots = book_transcript::Snapshots::from_env(&root);
    let mut compared = 0;
    for listed in &exercises {
        let dir = checker::transcript::book_dir(&root, listed).unwrap();
        for shown in &listed.shown {
            if !shown
                .requires
                .iter()
                .all(|p| book_support::tools::available(p))
            {
                continue;
            }
            let output = exercise()
                .current_dir(&root)
                .args(["check", &listed.name, "--cmd", &shown.cmd])
                .output()
                .unwrap();
            let printed = format!(
                "$ {}\n{}",
                checker::transcript::cmd_command(&listed.name, &shown.cmd),
                String::from_utf8_lossy(&output.stdout)
            );
            let printed =
                checker::transcript::normalise(&printed, &root, &listed.transcript_replace)
                    .unwrap();
            let file = dir.join("transcripts").join(format!("{}.txt", shown.block));
            if let Err(diff) = snapshots.compare(&file, &printed) {
                panic!(
                    "the book does not show what `cargo exercise check` prints \
                     (`cargo exercise verify --bless` rewrites it):\n{diff}"
                );
            }
            compared += 1;
        }
    }
    if python3_available() {
        assert!(
            compared > 0,
            "the book shows at least one run on another program"
        );
    }
}
