//! The shape of the book: SUMMARY.md and the pages agree, and every
//! chapter crate is part of the book.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use mdbook_summary::{SummaryItem, parse_summary};
use regex::Regex;

use super::includes::directives;
use super::sources::{Sources, check_with, normalize};
use crate::Problem;

/// Markdown link targets: inline `[text](target)` and reference
/// definitions `[label]: target`.
static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)\]\(\s*<?([^)\s>]+)|^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)").expect("a valid regex")
});

/// Checks that every page SUMMARY.md names exists, and that every page under
/// the source folder is in SUMMARY.md.
///
/// mdBook would quietly create a missing page (`create-missing`) and never
/// render a page SUMMARY.md forgets. A Markdown file that some page pulls in
/// with `{{#include}}` is a fragment, not a page, and needs no entry.
pub fn check_summary(root: &Path) -> Vec<Problem> {
    check_with(root, |sources| {
        let summary = sources.src.join("SUMMARY.md");
        let Some(page) = sources.pages.iter().find(|page| page.path == summary) else {
            return vec![Problem::in_file(root, &summary, "does not exist")];
        };
        let listed = match summary_locations(&page.text) {
            Ok(listed) => listed,
            Err(err) => return vec![Problem::in_file(root, &summary, format!("{err:#}"))],
        };
        let mut problems = missing_pages(sources, &page.text, &listed);
        problems.extend(unlisted_pages(sources, &listed));
        problems
    })
}

/// Every chapter location SUMMARY.md names (drafts have none), as written.
fn summary_locations(summary: &str) -> anyhow::Result<Vec<PathBuf>> {
    let summary = parse_summary(summary)?;
    let mut items: Vec<&SummaryItem> = summary
        .prefix_chapters
        .iter()
        .chain(&summary.numbered_chapters)
        .chain(&summary.suffix_chapters)
        .collect();
    let mut locations = Vec::new();
    while let Some(item) = items.pop() {
        if let SummaryItem::Link(link) = item {
            locations.extend(link.location.clone());
            items.extend(&link.nested_items);
        }
    }
    locations.reverse();
    Ok(locations)
}

/// The pages SUMMARY.md names that are not there.
fn missing_pages(sources: &Sources, summary: &str, listed: &[PathBuf]) -> Vec<Problem> {
    let summary_path = sources.src.join("SUMMARY.md");
    listed
        .iter()
        .filter(|location| !sources.src.join(location).is_file())
        .map(|location| {
            let message = format!("names {}, which does not exist", location.display());
            match line_naming(summary, location) {
                Some(line) => Problem::at(&sources.root, &summary_path, line, message),
                None => Problem::in_file(&sources.root, &summary_path, message),
            }
        })
        .collect()
}

/// The 1-based line of `summary` whose link names `location`.
fn line_naming(summary: &str, location: &Path) -> Option<usize> {
    let wanted = format!("({})", location.display());
    summary
        .lines()
        .position(|line| line.contains(&wanted))
        .map(|index| index + 1)
}

/// The pages under the source folder that SUMMARY.md leaves out.
fn unlisted_pages(sources: &Sources, listed: &[PathBuf]) -> Vec<Problem> {
    let listed: BTreeSet<PathBuf> = listed
        .iter()
        .map(|location| normalize(&sources.src.join(location)))
        .collect();
    let fragments: BTreeSet<PathBuf> = sources
        .pages
        .iter()
        .flat_map(|page| {
            directives(&page.text)
                .into_iter()
                .map(|directive| normalize(&page.dir().join(directive.target)))
        })
        .collect();
    sources
        .pages
        .iter()
        .map(|page| normalize(&page.path))
        .filter(|path| path.file_name().is_none_or(|name| name != "SUMMARY.md"))
        .filter(|path| !listed.contains(path) && !fragments.contains(path))
        .map(|path| {
            Problem::in_file(
                &sources.root,
                &path,
                "is not in SUMMARY.md: list it there, or remove it",
            )
        })
        .collect()
}

/// Checks that the book refers to every folder in `chapters/`: some include
/// or link in a page points into `chapters/<folder>/`.
///
/// A chapter crate the book never mentions is code no reader finds.
pub fn check_chapters_referenced(root: &Path) -> Vec<Problem> {
    check_with(root, |sources| {
        let chapters = root.join("chapters");
        let referenced = referenced_paths(sources);
        let mut problems = Vec::new();
        for chapter in chapter_dirs(&chapters) {
            let chapter = normalize(&chapter);
            if !referenced.iter().any(|path| path.starts_with(&chapter)) {
                let name = chapter.file_name().unwrap_or_default().to_string_lossy();
                let message =
                    format!("no include or link in the book points into chapters/{name}/");
                problems.push(Problem::in_file(root, &chapter, message));
            }
        }
        problems
    })
}

/// The folders directly inside `chapters`, sorted; none if it does not exist.
fn chapter_dirs(chapters: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(chapters)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Every local path the pages point to, through a directive or a link,
/// resolved against the page's folder.
fn referenced_paths(sources: &Sources) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for page in &sources.pages {
        for directive in directives(&page.text) {
            paths.push(normalize(&page.dir().join(directive.target)));
        }
        for target in link_targets(&page.text) {
            paths.push(normalize(&page.dir().join(target)));
        }
    }
    paths
}

/// The local targets of a page's Markdown links, without `#fragment`s;
/// links to other sites are left out.
fn link_targets(page: &str) -> Vec<&str> {
    LINK.captures_iter(page)
        .filter_map(|captures| captures.get(1).or_else(|| captures.get(2)))
        .map(|target| target.as_str())
        .filter(|target| !target.contains("://") && !target.starts_with("mailto:"))
        .map(|target| target.split('#').next().unwrap_or_default())
        .filter(|target| !target.is_empty())
        .collect()
}

/// The most words of prose a chapter page may hold: one idea a page, read
/// in one sitting.
pub const PAGE_WORDS: usize = 1_600;

/// Checks that no chapter page (a page in a `chN/` folder) holds more than
/// [`PAGE_WORDS`] words of prose: words outside code blocks, listings and
/// `{{#include}}` lines. A longer page is two ideas, or one told twice.
pub fn check_page_lengths(root: &Path) -> Vec<Problem> {
    check_with(root, |sources| {
        sources
            .pages
            .iter()
            .filter(|page| {
                page.path
                    .strip_prefix(&sources.src)
                    .ok()
                    .and_then(|inside| inside.components().next())
                    .and_then(|first| first.as_os_str().to_str())
                    .is_some_and(|folder| {
                        folder.len() > 2
                            && folder.starts_with("ch")
                            && folder[2..].bytes().all(|b| b.is_ascii_digit())
                    })
            })
            .filter_map(|page| {
                let words = prose_words(&page.text);
                (words > PAGE_WORDS).then(|| {
                    Problem::in_file(
                        &sources.root,
                        &page.path,
                        format!(
                            "{words} words of prose, over the {PAGE_WORDS} a page may hold: \
                             split it into pages of one idea each"
                        ),
                    )
                })
            })
            .collect()
    })
}

/// The words of `markdown` a reader reads as prose: text and inline code
/// outside code blocks, with `{{#...}}` directives left out.
pub(crate) fn prose_words(markdown: &str) -> usize {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut in_code_block = false;
    let mut words = 0;
    for (event, _) in crate::readme::parse_markdown(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(text) | Event::Code(text) if !in_code_block => {
                words += text
                    .split_whitespace()
                    .filter(|word| !word.starts_with("{{#") && !word.ends_with("}}"))
                    .count();
            }
            _ => {}
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::testing::temp_book;

    #[test]
    fn accepts_a_summary_that_matches_the_pages() {
        let book = temp_book(&[
            (
                "book/SUMMARY.md",
                "# Summary\n\n[Intro](intro.md)\n\n- [One](ch1/README.md)\n    - [Draft]()\n",
            ),
            ("book/intro.md", "# Intro\n{{#include fragment.md}}"),
            ("book/fragment.md", "pulled in, not a page"),
            ("book/ch1/README.md", "# One"),
        ]);
        assert_eq!(check_summary(book.path()), []);
    }

    #[test]
    fn fails_on_a_missing_page_and_an_unlisted_one() {
        let book = temp_book(&[
            (
                "book/SUMMARY.md",
                "# Summary\n\n- [One](ch1/README.md)\n- [Two](ch2/README.md)\n",
            ),
            ("book/ch1/README.md", "# One"),
            ("book/ch3/README.md", "# Forgotten"),
        ]);
        let shown: Vec<String> = check_summary(book.path())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "book/SUMMARY.md:4: names ch2/README.md, which does not exist",
                "book/ch3/README.md: is not in SUMMARY.md: list it there, or remove it",
            ]
        );
    }

    #[test]
    fn accepts_chapters_reached_by_include_or_link() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "- [One](ch1/README.md)\n"),
            (
                "book/ch1/README.md",
                "{{#include ../../chapters/ch1-a/src/lib.rs}}\nSee [the tests][t].\n\n[t]: ../../chapters/ch2-b/tests/#top\n",
            ),
            ("chapters/ch1-a/src/lib.rs", "//! one"),
            ("chapters/ch2-b/tests/t.rs", "//! two"),
        ]);
        assert_eq!(check_chapters_referenced(book.path()), []);
    }

    #[test]
    fn fails_on_an_unreferenced_chapter() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "- [One](ch1/README.md)\n"),
            (
                "book/ch1/README.md",
                "[a look-alike](../../chapters/ch1-alone-not/x.rs) and [elsewhere](https://example.org/chapters/ch1-alone/)\n",
            ),
            ("chapters/ch1-alone/Cargo.toml", ""),
        ]);
        let shown: Vec<String> = check_chapters_referenced(book.path())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            ["chapters/ch1-alone: no include or link in the book points into chapters/ch1-alone/"]
        );
    }
}
