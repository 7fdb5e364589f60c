//! The book: build it with mdBook used as a library, check it, serve it.
//!
//! mdBook's own command line is not needed: `mdbook-driver` builds the book
//! in this process (search index included), and [`serve`] puts the result on
//! a local web server. The `check_*` functions catch what mdBook lets pass;
//! the workspace's `tests/book.rs` runs them all. Diagrams are ```` ```mermaid ````
//! blocks: the `mdbook-mermaid` preprocessor runs in this process too, and
//! the book's own copy of Mermaid's JavaScript draws them in the browser
//! (see [`diagrams`]). Every build writes the English book and, inside it,
//! each translation (`zh-CN/`), from `po/LANG.po` (see [`translation`]).

mod console;
mod diagnostics;
pub mod diagrams;
mod includes;
mod readme_links;
mod search_words;
mod serve;
mod sources;
mod structure;
#[cfg(test)]
mod testing;
pub mod translation;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use mdbook_driver::MDBook;
use mdbook_driver::book::{Book, BookItem};
use mdbook_driver::config::Config;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

pub use console::check_console_blocks;
pub use includes::check_includes;
pub use serve::{ServeOptions, serve, serve_files};
pub(crate) use sources::source_dir;
pub use structure::{PAGE_WORDS, check_chapters_referenced, check_page_lengths, check_summary};

use crate::Problem;

/// The directives that mdBook leaves in a page, as raw text, when it cannot
/// expand them.
const DIRECTIVE_OPENINGS: [&str; 3] = ["{{#include", "{{#rustdoc_include", "{{#playground"];

/// A finished build of the book.
#[derive(Debug)]
pub struct Build {
    /// The folder that holds the HTML (`index.html` and the search index).
    pub dir: PathBuf,
    /// What is wrong with the build though mdBook called it a success.
    pub findings: Findings,
}

/// What a successful build of the book still got wrong.
#[derive(Debug, Default)]
pub struct Findings {
    /// The warnings and errors mdBook logged, one a line.
    pub logged: Vec<String>,
    /// The places in the HTML where a directive was left unexpanded.
    pub raw_directives: Vec<Problem>,
}

impl Findings {
    /// Whether the build is as good as it claims.
    pub fn is_empty(&self) -> bool {
        self.logged.is_empty() && self.raw_directives.is_empty()
    }

    /// Everything found, one a line, ready to print.
    pub fn lines(&self) -> Vec<String> {
        let raw = self.raw_directives.iter().map(ToString::to_string);
        self.logged.iter().cloned().chain(raw).collect()
    }
}

/// Builds the book at `root` into the folder `book.toml` names
/// (`target/book`).
pub fn build(root: &Path) -> Result<Build> {
    build_with(root, None)
}

/// Builds the book at `root` into `dir` (for the browser test, which serves
/// that folder).
pub fn build_into(root: &Path, dir: &Path) -> Result<Build> {
    build_with(root, Some(dir))
}

/// Builds the book at `root` into a temporary folder and reports what is
/// wrong with it.
///
/// The temporary folder keeps the tests from disturbing a `cargo book`
/// that is serving `target/book`, and two test runs from each other.
pub fn check_build(root: &Path) -> Result<Findings> {
    let dir = tempfile::tempdir().context("cannot make a temporary folder for the book")?;
    let build = build_with(root, Some(dir.path()))?;
    Ok(build.findings)
}

/// Builds the book at `root` into `dir`, or where `book.toml` says: the
/// English edition there, and each translation in a folder of its own
/// inside it (`zh-CN/`), so that one server serves them all.
fn build_with(root: &Path, dir: Option<&Path>) -> Result<Build> {
    let (built, logged) = diagnostics::record(|| -> Result<PathBuf> {
        let book = load(root, dir)?;
        book.build().context("mdBook could not build the book")?;
        let dir = book.build_dir_for("html");
        for language in translation::LANGUAGES {
            build_translation(root, language, &dir.join(language.code))?;
        }
        Ok(dir)
    });
    finish(built?, logged)
}

/// Builds only the edition in `language`, into its folder of the book's
/// build folder (`target/book/zh-CN`), for `cargo book --lang`.
pub fn build_edition(root: &Path, language: translation::Language) -> Result<Build> {
    let (built, logged) = diagnostics::record(|| -> Result<PathBuf> {
        let english = load(root, None)?;
        let dir = english.build_dir_for("html").join(language.code);
        build_translation(root, language, &dir)?;
        Ok(dir)
    });
    finish(built?, logged)
}

/// Builds the translated edition in `language` into `dir`.
fn build_translation(root: &Path, language: translation::Language, dir: &Path) -> Result<()> {
    let mut book = translation::load_edition(root, language, dir)?;
    add_preprocessors(&mut book);
    book.build()
        .with_context(|| format!("mdBook could not build the {} edition", language.code))
}

/// The search words and the findings of the editions built into `dir`.
fn finish(dir: PathBuf, logged: Vec<String>) -> Result<Build> {
    search_words::add_cjk_words(&dir)?;
    for language in translation::LANGUAGES {
        let edition = dir.join(language.code);
        if edition.is_dir() {
            search_words::add_cjk_words(&edition)?;
        }
    }
    let raw_directives = raw_directives(&dir)?;
    Ok(Build {
        dir,
        findings: Findings {
            logged,
            raw_directives,
        },
    })
}

/// Loads the book as `mdbook build` would, with three differences: a page
/// that SUMMARY.md names but that does not exist is an error, a link to a
/// chapter's `README.md` leads to the page mdBook makes of it, and the
/// mermaid preprocessor is part of it without being installed.
///
/// mdBook's default (`create-missing`) writes an empty page in its place,
/// into `book/`, on every build: a typo in SUMMARY.md would become a stray
/// file in someone's work tree instead of a message.
fn load(root: &Path, dir: Option<&Path>) -> Result<MDBook> {
    let config_file = root.join("book.toml");
    let mut config = Config::from_disk(&config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    config.build.create_missing = false;
    if let Some(dir) = dir {
        config.build.build_dir = dir.to_path_buf();
    }
    let mut book = MDBook::load_with_config(root, config)
        .with_context(|| format!("cannot load the book at {}", root.display()))?;
    add_preprocessors(&mut book);
    Ok(book)
}

/// One of the book's own preprocessors: each is one function from a page's
/// Markdown to the Markdown mdBook goes on with, run on every page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRewrite {
    /// Its name, as mdBook logs it.
    pub(crate) name: &'static str,
    /// What it does to a page.
    pub(crate) rewrite: fn(&str) -> String,
    /// The one renderer it is for (`"html"`), or `None` for every renderer.
    pub(crate) only_for: Option<&'static str>,
}

impl Preprocessor for PageRewrite {
    fn name(&self) -> &str {
        self.name
    }

    fn run(&self, _: &PreprocessorContext, mut book: Book) -> mdbook_driver::errors::Result<Book> {
        book.for_each_mut(|item| {
            if let BookItem::Chapter(chapter) = item {
                chapter.content = (self.rewrite)(&chapter.content);
            }
        });
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_driver::errors::Result<bool> {
        Ok(self.only_for.is_none_or(|only| only == renderer))
    }
}

/// The book's own preprocessors, which every edition runs after mdBook's.
fn add_preprocessors(book: &mut MDBook) {
    book.with_preprocessor(readme_links::README_LINKS);
    diagrams::register(book);
}

/// Every line of the HTML under `dir` where a directive was left as text:
/// mdBook's sign that it could not read a file.
fn raw_directives(dir: &Path) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    for file in html_files(dir)? {
        let html =
            fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        for (index, line) in html.lines().enumerate() {
            if let Some(opening) = DIRECTIVE_OPENINGS.iter().find(|o| line.contains(*o)) {
                let message = format!(
                    "a raw `{opening}` is left in the built page: mdBook could not expand it"
                );
                problems.push(Problem::at(dir, &file, index + 1, message));
            }
        }
    }
    Ok(problems)
}

/// Every `.html` file under `dir`, sorted.
fn html_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.is_dir() {
            files.extend(html_files(&path)?);
        } else if path.extension().is_some_and(|ext| ext == "html") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use testing::temp_book;

    #[test]
    fn builds_a_clean_book_with_its_search_index() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "[Intro](intro.md)\n"),
            (
                "book/intro.md",
                "# Intro\n```rust\n{{#include ../code.rs:main}}\n```\n",
            ),
            (
                "code.rs",
                "// ANCHOR: main\nfn main() {}\n// ANCHOR_END: main\n",
            ),
        ]);
        let build = build(book.path()).unwrap();
        assert_eq!(build.dir, book.path().join("target/book"));
        assert!(build.findings.is_empty(), "{:?}", build.findings);
        assert!(build.dir.join("index.html").is_file());
        // mdBook fingerprints it: `searchindex-<hash>.js`.
        let search_index = fs::read_dir(&build.dir).unwrap().flatten().any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with("searchindex") && name.ends_with(".js")
        });
        assert!(search_index, "no search index in {}", build.dir.display());
    }

    #[test]
    fn finds_what_mdbook_logs_and_leaves_raw() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "[Intro](intro.md)\n"),
            ("book/intro.md", "# Intro\n{{#include missing.rs}}\n"),
        ]);
        let findings = check_build(book.path()).unwrap();
        assert!(
            findings
                .logged
                .iter()
                .any(|line| line.starts_with("mdbook error:") && line.contains("missing.rs")),
            "{:?}",
            findings.logged
        );
        assert!(
            findings
                .raw_directives
                .iter()
                .any(|p| p.to_string().starts_with("intro.html:")),
            "{:?}",
            findings.raw_directives
        );
        assert!(
            !book.path().join("target").exists(),
            "built into target/ anyway"
        );
    }

    #[test]
    fn fails_on_a_page_that_does_not_exist_without_creating_it() {
        let book = temp_book(&[("book/SUMMARY.md", "[Intro](intro.md)\n")]);
        let err = build(book.path()).unwrap_err();
        assert!(format!("{err:#}").contains("intro.md"), "{err:#}");
        assert!(!book.path().join("book/intro.md").exists());
    }
}
