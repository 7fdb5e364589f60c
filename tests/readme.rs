//! The README's commands work: what a reader copies from it runs, and CI
//! runs the tests the README tells the reader to run.
//! The checks themselves are in `xtask::readme`.

use xtask::Problem;
use xtask::readme;

fn assert_no_problems(what: &str, problems: &[Problem]) {
    assert!(problems.is_empty(), "{what}:\n{}", Problem::list(problems));
}

#[test]
fn readme_shows_how_to_read_the_book_and_run_the_tests() {
    let commands = readme::readme_commands(xtask::workspace_root()).unwrap();
    let shown: Vec<String> = commands.iter().map(readme::Command::text).collect();
    for wanted in ["cargo book", "cargo test --workspace"] {
        assert!(
            shown.iter().any(|command| command == wanted),
            "README.md has no shell block with `{wanted}`; its commands: {shown:?}"
        );
    }
}

#[test]
fn every_cargo_subcommand_is_built_in_or_an_alias() {
    assert_no_problems(
        "README commands cargo does not know",
        &readme::check_cargo_subcommands(xtask::workspace_root()),
    );
}

#[test]
fn every_cargo_run_names_a_real_package_and_binary() {
    assert_no_problems(
        "README `cargo run` commands that cannot run",
        &readme::check_cargo_runs(xtask::workspace_root()),
    );
}

#[test]
fn ci_runs_the_readmes_test_command() {
    assert_no_problems(
        "README test commands CI does not run",
        &readme::check_test_command_in_ci(xtask::workspace_root()),
    );
}
