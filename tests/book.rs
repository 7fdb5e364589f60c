//! The book fails loudly where mdBook stays quiet.
//!
//! mdBook builds "successfully" with a missing `{{#include}}` file (the raw
//! directive is left in the page), a missing anchor (nothing is shown) or a
//! page SUMMARY.md forgets. Each test here is one of the checks in
//! `xtask::book`, run on the real book; a failure lists every file and line
//! to fix.

use std::sync::OnceLock;

use xtask::Problem;
use xtask::book::{self, Findings};

/// Fails the test with `what` and the problems, one a line, if there are any.
fn assert_no_problems(what: &str, problems: &[Problem]) {
    assert!(problems.is_empty(), "{what}:\n{}", Problem::list(problems));
}

/// The findings of one build of the book, shared by the tests that need it.
fn findings() -> &'static Findings {
    static FINDINGS: OnceLock<Findings> = OnceLock::new();
    FINDINGS.get_or_init(|| {
        book::check_build(xtask::workspace_root())
            .unwrap_or_else(|err| panic!("the book does not build: {err:#}"))
    })
}

#[test]
fn every_include_shows_an_existing_part_of_an_existing_file() {
    assert_no_problems(
        "includes that mdBook would leave raw, empty or cut short",
        &book::check_includes(xtask::workspace_root()),
    );
}

#[test]
fn console_output_comes_from_the_programs() {
    assert_no_problems(
        "console output typed by hand, or generated files no page shows",
        &book::check_console_blocks(xtask::workspace_root()),
    );
}

#[test]
fn every_chapter_crate_is_part_of_the_book() {
    assert_no_problems(
        "chapter crates the book never points into",
        &book::check_chapters_referenced(xtask::workspace_root()),
    );
}

#[test]
fn summary_and_pages_agree() {
    assert_no_problems(
        "SUMMARY.md and the pages under book/ disagree",
        &book::check_summary(xtask::workspace_root()),
    );
}

#[test]
fn the_build_logs_no_warning_or_error() {
    let logged = &findings().logged;
    assert!(
        logged.is_empty(),
        "mdBook logged while building the book:\n  {}",
        logged.join("\n  ")
    );
}

/// The Chinese edition is complete and current: every message of the
/// English pages has a translation in `po/zh-CN.po` that is not fuzzy, keeps
/// the code spans, link targets and emphasis, and uses the course's terms
/// (`po/terms.toml`). After an edit of the English, `cargo book
/// update-translations` marks what to translate.
#[test]
fn every_translation_is_complete_and_current() {
    let problems = book::translation::check(xtask::workspace_root())
        .unwrap_or_else(|err| panic!("the translations cannot be checked: {err:#}"));
    assert_no_problems(
        "messages of the English book the translations lack or got wrong \
         (run `cargo book update-translations`, then translate)",
        &problems,
    );
}

#[test]
fn the_html_has_no_raw_include_left() {
    assert_no_problems(
        "directives mdBook could not expand (paths in the built HTML)",
        &findings().raw_directives,
    );
}

/// No command in the book harms a reader who pastes it: not on a page,
/// not in a transcript a page shows, not in the transcript specs. A point
/// about injection is made with a harmless payload (`touch pwned`).
#[test]
fn no_page_shows_a_destructive_command() {
    let destructive = regex::Regex::new(
        r"\brm\s+-[a-zA-Z]*[rf]|\bmkfs\b|\bdd\s+if=|>\s*/dev/sd|:\(\)\s*\{|\bshred\b|chmod\s+-R",
    )
    .unwrap();
    let mut found = Vec::new();
    let mut dirs = vec![xtask::workspace_root().join("book")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (number, line) in text.lines().enumerate() {
                if destructive.is_match(line) {
                    found.push(format!("{}:{}: {line}", path.display(), number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "commands that harm a reader who pastes them:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_chapter_page_holds_one_idea() {
    assert_no_problems(
        "chapter pages too long to hold one idea",
        &book::check_page_lengths(xtask::workspace_root()),
    );
}
