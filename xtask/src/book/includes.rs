//! `{{#include}}` and its kin: every one must show what its author meant.
//!
//! mdBook leaves a directive whose file is missing as raw text in the page,
//! an anchor it cannot find as nothing at all, and a line range past the end
//! as whatever part of it exists, and the build still succeeds. These checks
//! read the directives as mdBook does and say where each one goes wrong.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::sources::{Page, Sources, check_with, normalize};
use crate::Problem;

/// mdBook's own pattern for its directives (`links.rs` in mdbook-driver),
/// escaped ones (`\{{#include ...}}`) included so they can be skipped.
static DIRECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\\{\{\#.*\}\}|\{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}").expect("a valid regex")
});

/// mdBook's patterns for the lines that open and close an anchor.
static ANCHOR_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR:\s*([\w_-]+)").expect("a valid regex"));
static ANCHOR_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"ANCHOR_END:\s*([\w_-]+)").expect("a valid regex"));

/// One directive that pulls a file into a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The directive as written, `{{#include ...}}`, to quote in messages.
    pub(crate) text: String,
    /// The 1-based line of the page it is on.
    pub(crate) line: usize,
    /// The file it names, as written: relative to the page's folder.
    pub(crate) target: PathBuf,
    /// Which part of that file it shows.
    pub(crate) selection: Selection,
}

/// The part of a file a directive shows, as mdBook reads `path:...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Selection {
    /// `path`: the whole file.
    Whole,
    /// `path:N`, `path:N:M`, `path:N:`, `path::M`: lines `first..=last`
    /// (1-based, inclusive); `last` is `None` for "to the end".
    Lines { first: usize, last: Option<usize> },
    /// `path:name`: the lines between `ANCHOR: name` and `ANCHOR_END: name`.
    Anchor(String),
}

/// Checks every `{{#include}}`, `{{#rustdoc_include}}` and `{{#playground}}`
/// of the book at `root`: its file exists, its anchor has an `ANCHOR` and an
/// `ANCHOR_END` line with something between them, its line range lies in
/// the file.
pub fn check_includes(root: &Path) -> Vec<Problem> {
    check_with(root, |sources| {
        sources
            .pages
            .iter()
            .flat_map(|page| check_page(sources, page))
            .collect()
    })
}

/// The problems with the directives of one page.
fn check_page(sources: &Sources, page: &Page) -> Vec<Problem> {
    directives(&page.text)
        .into_iter()
        .filter_map(|directive| {
            let message = indented(&page.text, &directive)
                .or_else(|| check_directive(&sources.root, page.dir(), &directive))?;
            Some(Problem::at(
                &sources.root,
                &page.path,
                directive.line,
                format!("`{}`: {message}", directive.text),
            ))
        })
        .collect()
}

/// Why a directive alone on an indented line breaks the page, if it is one.
///
/// mdBook pastes the file's lines as they are, without the directive's
/// indent: in a list item, only the first line stays in the item's code
/// block, and the rest of the file becomes paragraphs after the list.
fn indented(page: &str, directive: &Directive) -> Option<String> {
    let line = page.lines().nth(directive.line - 1)?;
    let before = &line[..line.find(&directive.text)?];
    (!before.is_empty() && before.trim().is_empty()).then(|| {
        "indented (in a list item?): mdBook does not indent what it includes, so all \
         but the first line would fall out of the code block; put the block at the \
         top level"
            .to_owned()
    })
}

/// Every directive of a page that names a file, in order.
pub(crate) fn directives(page: &str) -> Vec<Directive> {
    DIRECTIVE
        .captures_iter(page)
        .filter_map(|captures| {
            let whole = captures.get(0)?;
            let kind = captures.get(1)?.as_str();
            if !matches!(kind, "include" | "rustdoc_include" | "playground") {
                return None;
            }
            let argument = captures.get(2)?.as_str().split_whitespace().next()?;
            let (target, selection) = match kind {
                "playground" => (argument, None),
                _ => match argument.split_once(':') {
                    Some((target, selection)) => (target, Some(selection)),
                    None => (argument, None),
                },
            };
            Some(Directive {
                text: whole.as_str().to_owned(),
                line: line_of_offset(page, whole.start()),
                target: PathBuf::from(target),
                selection: parse_selection(selection),
            })
        })
        .collect()
}

/// The 1-based line at byte `offset` of `text`.
fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Reads what follows `path:` as mdBook does (`parse_range_or_anchor`):
/// a number starts a line range, anything else is an anchor's name.
fn parse_selection(selection: Option<&str>) -> Selection {
    let mut parts = selection.unwrap_or("").splitn(3, ':');
    let start = parts.next().unwrap_or("");
    let first = match start.parse::<usize>() {
        Ok(first) => Some(first),
        Err(_) if start.is_empty() => None,
        Err(_) => return Selection::Anchor(start.to_owned()),
    };
    let end = parts.next().map(str::parse::<usize>);
    match (first, end) {
        (Some(first), None) => Selection::Lines {
            first,
            last: Some(first),
        },
        (Some(first), Some(end)) => Selection::Lines {
            first,
            last: end.ok(),
        },
        (None, Some(Ok(last))) => Selection::Lines {
            first: 1,
            last: Some(last),
        },
        (None, _) => Selection::Whole,
    }
}

/// What is wrong with one directive of a page in `page_dir`, if anything.
fn check_directive(root: &Path, page_dir: &Path, directive: &Directive) -> Option<String> {
    let file = normalize(&page_dir.join(&directive.target));
    let shown = file
        .strip_prefix(root)
        .unwrap_or(&file)
        .display()
        .to_string();
    let text = match fs::read_to_string(&file) {
        Ok(text) => text,
        Err(err) => return Some(format!("cannot read {shown}: {err}")),
    };
    match &directive.selection {
        Selection::Whole => None,
        Selection::Lines { first, last } => check_range(&text, &shown, *first, *last),
        Selection::Anchor(name) => check_anchor(&text, &shown, name),
    }
}

/// Whether lines `first..=last` lie inside `text` (the file `shown`).
fn check_range(text: &str, shown: &str, first: usize, last: Option<usize>) -> Option<String> {
    let count = text.lines().count();
    if first == 0 {
        return Some("lines are numbered from 1, not 0".to_owned());
    }
    if first > count {
        return Some(format!(
            "starts at line {first}, but {shown} has {count} lines"
        ));
    }
    match last {
        Some(last) if last < first => Some(format!(
            "ends at line {last}, before it starts at line {first}"
        )),
        Some(last) if last > count => Some(format!(
            "ends at line {last}, but {shown} has {count} lines"
        )),
        _ => None,
    }
}

/// Whether `text` (the file `shown`) has a non-empty anchor `name`.
///
/// Like mdBook, this takes the first `ANCHOR: name` line and the first
/// `ANCHOR_END: name` after it; lines that open or close other anchors
/// inside the region are not shown, so they do not count as content.
fn check_anchor(text: &str, shown: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let is_marker = |regex: &Regex, line: &str| {
        regex
            .captures(line)
            .is_some_and(|captures| &captures[1] == name)
    };
    let Some(start) = lines.iter().position(|line| is_marker(&ANCHOR_START, line)) else {
        return Some(format!("{shown} has no `ANCHOR: {name}` line"));
    };
    let Some(length) = lines[start + 1..]
        .iter()
        .position(|line| is_marker(&ANCHOR_END, line))
    else {
        return Some(format!(
            "`ANCHOR: {name}` at {shown}:{} has no `ANCHOR_END: {name}` after it",
            start + 1
        ));
    };
    let region = &lines[start + 1..start + 1 + length];
    let shows_nothing = region.iter().all(|line| {
        line.trim().is_empty() || ANCHOR_START.is_match(line) || ANCHOR_END.is_match(line)
    });
    shows_nothing.then(|| format!("anchor `{name}` at {shown}:{} is empty", start + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::testing::temp_book;

    const CODE: &str = "\
fn main() {
    // ANCHOR: greet
    println!(\"hello\");
    // ANCHOR_END: greet
    # ANCHOR: hollow
    # ANCHOR_END: hollow
    // ANCHOR: unclosed
}
";

    /// The problems `check_includes` finds in a one-page book whose page
    /// says `page` and sits beside `code.rs` holding [`CODE`].
    fn problems_with(page: &str) -> Vec<Problem> {
        let book = temp_book(&[
            ("book/SUMMARY.md", "[Page](page.md)\n"),
            ("book/page.md", page),
            ("book/code.rs", CODE),
        ]);
        check_includes(book.path())
    }

    #[test]
    fn reads_directives_as_mdbook_does() {
        let page = "a\n{{#include a.rs}}\n{{#include b.rs:2}} {{#include c.rs:2:4}}\n\
                    {{#rustdoc_include d.rs:name}}\n{{#include e.rs::3}} {{#include f.rs:5:}}\n\
                    {{#title Not a file}} {{#playground g.rs editable}}\n\
                    \\{{#include escaped.rs}} (escaped: shown as text, as in this sentence)";
        let found: Vec<_> = directives(page)
            .into_iter()
            .map(|d| (d.line, d.target.display().to_string(), d.selection))
            .collect();
        let lines = |first, last| Selection::Lines { first, last };
        assert_eq!(
            found,
            [
                (2, "a.rs".to_owned(), Selection::Whole),
                (3, "b.rs".to_owned(), lines(2, Some(2))),
                (3, "c.rs".to_owned(), lines(2, Some(4))),
                (4, "d.rs".to_owned(), Selection::Anchor("name".to_owned())),
                (5, "e.rs".to_owned(), lines(1, Some(3))),
                (5, "f.rs".to_owned(), lines(5, None)),
                (6, "g.rs".to_owned(), Selection::Whole),
            ]
        );
    }

    #[test]
    fn accepts_good_includes() {
        let page = "{{#include code.rs}}\n{{#include code.rs:greet}}\n{{#rustdoc_include code.rs:1:3}}\n{{#include code.rs:8:}}";
        assert_eq!(problems_with(page), []);
    }

    #[test]
    fn fails_on_a_missing_file() {
        let problems = problems_with("text\n{{#include nowhere.rs}}\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        let shown = problems[0].to_string();
        assert!(
            shown.starts_with(
                "book/page.md:2: `{{#include nowhere.rs}}`: cannot read book/nowhere.rs"
            ),
            "{shown}"
        );
    }

    #[test]
    fn fails_on_an_indented_include() {
        let page = "1. A step:\n\n   ```rust\n   {{#include code.rs:greet}}\n   ```\n";
        let problems = problems_with(page);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, Some(4));
        assert!(problems[0].message.contains("indented"), "{}", problems[0]);
        // In a table or a sentence it is no line of its own: fine.
        assert_eq!(problems_with("| `{{#include code.rs:greet}}` |\n"), []);
    }

    #[test]
    fn fails_on_a_missing_anchor() {
        let problems = problems_with("{{#include code.rs:farewell}}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .ends_with("book/code.rs has no `ANCHOR: farewell` line"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn fails_on_an_anchor_without_its_end() {
        let problems = problems_with("{{#rustdoc_include code.rs:unclosed}}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("has no `ANCHOR_END: unclosed`"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn fails_on_an_empty_anchor() {
        let problems = problems_with("{{#include code.rs:hollow}}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .ends_with("anchor `hollow` at book/code.rs:5 is empty"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn fails_on_a_range_outside_the_file() {
        let problems = problems_with(
            "{{#include code.rs:9}}\n{{#include code.rs:2:99}}\n{{#include code.rs:4:2}}\n{{#include code.rs:0:2}}",
        );
        let messages: Vec<_> = problems
            .iter()
            .map(|p| {
                (
                    p.line,
                    p.message.split("`: ").nth(1).unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            messages,
            [
                (
                    Some(1),
                    "starts at line 9, but book/code.rs has 8 lines".to_owned()
                ),
                (
                    Some(2),
                    "ends at line 99, but book/code.rs has 8 lines".to_owned()
                ),
                (
                    Some(3),
                    "ends at line 2, before it starts at line 4".to_owned()
                ),
                (Some(4), "lines are numbered from 1, not 0".to_owned()),
            ]
        );
    }
}
