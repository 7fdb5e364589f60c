//! The book in other languages, with gettext, as Comprehensive Rust does it.
//!
//! The English pages are the source. [`extract`] runs the `Xgettext`
//! renderer of `mdbook-i18n-helpers` (in this process: nothing to install)
//! and gets every message a reader reads: each paragraph, heading, list
//! item, table cell, image's alt text, the text of a diagram, and the
//! strings and comments of a code block written in the page. A code block
//! that only includes a file (`{{#include ../../chapters/...}}`) gives no
//! message: the includes run *after* the translation, so every edition
//! shows the same code and the same program output.
//!
//! A language's translation is `po/LANG.po`. [`update`] brings it up to
//! date with the English, as gettext's `msgmerge` does: a new paragraph
//! comes in untranslated, a changed one keeps its old translation marked
//! *fuzzy* (to be checked), and one that is gone is dropped. [`check`]
//! fails while any message is untranslated or fuzzy, so an edition never
//! goes stale in silence. The `Gettext` preprocessor puts the translation
//! in place when the edition is built (see [`super::build`]).

mod anchors;
mod check;
mod diagrams;
mod merge;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use mdbook_driver::MDBook;
use mdbook_driver::builtin_preprocessors::{IndexPreprocessor, LinkPreprocessor};
use mdbook_driver::config::Config;
use polib::catalog::Catalog;
use polib::metadata::CatalogMetadata;

pub use check::{Term, read_terms};
pub use merge::Merged;

use crate::Problem;

/// A language the book is translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Language {
    /// The code mdBook and the web use (`<html lang>`), and the folder
    /// the edition is served from: `zh-CN` is at `/zh-CN/`.
    pub code: &'static str,
    /// The book's title in the language (`book.toml` has the English one).
    pub title: &'static str,
}

/// The languages of the book besides English.
pub const LANGUAGES: [Language; 1] = [Language {
    code: "zh-CN",
    title: "Rust 套接字编程",
}];

/// The language called `code`, if the book has it.
pub fn language(code: &str) -> Option<Language> {
    LANGUAGES.into_iter().find(|l| l.code == code)
}

/// Where a language's translation lives: `po/LANG.po`.
pub fn po_file(root: &Path, language: Language) -> PathBuf {
    root.join("po").join(format!("{}.po", language.code))
}

/// The messages of the English book, in the order a reader meets them,
/// each with the page it is on.
pub fn extract(root: &Path) -> Result<Catalog> {
    let dir = tempfile::tempdir().context("cannot make a temporary folder for the messages")?;
    let config_file = root.join("book.toml");
    let mut config = Config::from_disk(&config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    config.build.create_missing = false;
    // None of mdBook's preprocessors: the includes stay directives, not
    // messages. Only the diagrams are marked, as in a translated build.
    config.build.use_default_preprocessors = false;
    config.build.build_dir = dir.path().to_path_buf();
    // A message's place is its page, without a line number, so that a
    // line added above a paragraph does not touch its entry.
    config
        .set("output.xgettext.granularity", 0)
        .and_then(|()| config.set("output.xgettext.pot-file", "messages.pot"))
        .map_err(|e| anyhow!("cannot configure the message extraction: {e}"))?;
    let mut book = MDBook::load_with_config(root, config)
        .with_context(|| format!("cannot load the book at {}", root.display()))?;
    book.with_preprocessor(diagrams::WHOLE_DIAGRAMS);
    let xgettext = mdbook_i18n_helpers::renderers::Xgettext;
    book.execute_build_process(&xgettext)
        .context("cannot extract the book's messages")?;
    let pot = book.build_dir_for("xgettext").join("messages.pot");
    read_catalog(&pot)
}

/// Reads a PO (or POT) file.
pub fn read_catalog(path: &Path) -> Result<Catalog> {
    polib::po_file::parse(path).map_err(|e| anyhow!("cannot read {}: {e}", path.display()))
}

/// The terminology table of the translations: `po/terms.toml`.
pub fn terms_file(root: &Path) -> PathBuf {
    root.join("po").join("terms.toml")
}

/// Brings `po/LANG.po` up to date with the English pages, as `msgmerge`
/// does (see `merge.rs`), creating it if there is none, and says what it
/// holds now.
pub fn update(root: &Path, language: Language) -> Result<Merged> {
    let template = extract(root)?;
    let path = po_file(root, language);
    let old = if path.exists() {
        read_catalog(&path)?
    } else {
        Catalog::new(new_metadata(language))
    };
    let (merged, counts) = merge::merge(&template, &old);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    polib::po_file::write(&merged, &path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(counts)
}

/// The header of a new translation.
fn new_metadata(language: Language) -> CatalogMetadata {
    let mut metadata = CatalogMetadata::new();
    metadata.project_id_version = "Socket programming in Rust".into();
    metadata.language = language.code.into();
    metadata.mime_version = "1.0".into();
    metadata.content_type = "text/plain; charset=UTF-8".into();
    metadata.content_transfer_encoding = "8bit".into();
    metadata
}

/// What keeps each language's edition from being complete and current:
/// every English message needs a translation that is not fuzzy, keeps the
/// code spans and link targets, and uses the terms of `po/terms.toml`; and
/// the glossary (Appendix C), where the reader finds those terms, must give
/// the same words.
pub fn check(root: &Path) -> Result<Vec<Problem>> {
    let template = extract(root)?;
    let terms = read_terms(&terms_file(root))?;
    let mut problems = Vec::new();
    let glossary_file = root.join("book").join("appendix").join("glossary.md");
    if let Ok(glossary) = fs::read_to_string(&glossary_file) {
        for message in check::glossary_disagreements(&glossary, &terms) {
            problems.push(Problem::in_file(root, &glossary_file, message));
        }
    }
    for language in LANGUAGES {
        let path = po_file(root, language);
        if !path.exists() {
            let message = "missing: run `cargo book update-translations`, then translate";
            problems.push(Problem::in_file(root, &path, message));
            continue;
        }
        let po = read_catalog(&path)?;
        for message in check::problems(&template, &po, &terms) {
            problems.push(Problem::in_file(root, &path, message));
        }
        if problems.is_empty() && !is_as_merged(&template, &po, &path)? {
            let message = "not as `cargo book update-translations` writes it \
                           (a message moved to another page, or the file's layout changed): run it";
            problems.push(Problem::in_file(root, &path, message));
        }
    }
    Ok(problems)
}

/// Whether the file at `path`, which holds `po`, is byte for byte what an
/// update with the English `template` would write: its entries in the
/// English order, each with its pages.
fn is_as_merged(template: &Catalog, po: &Catalog, path: &Path) -> Result<bool> {
    let (merged, _) = merge::merge(template, po);
    let dir = tempfile::tempdir().context("cannot make a temporary folder")?;
    let written = dir.path().join("merged.po");
    polib::po_file::write(&merged, &written)
        .with_context(|| format!("cannot write {}", written.display()))?;
    let read = |p: &Path| fs::read(p).with_context(|| format!("cannot read {}", p.display()));
    Ok(read(&written)? == read(path)?)
}

/// Loads the edition in `language`, to be written to `dir`: the English
/// book with its anchors written out ([`anchors`]), its diagrams marked as
/// messages ([`diagrams`]), then translated by the `Gettext` preprocessor
/// from `po/LANG.po`, and only then given its includes, so that code and
/// program output are the English edition's. The caller adds the book's
/// own preprocessors, which every edition runs last.
pub(crate) fn load_edition(root: &Path, language: Language, dir: &Path) -> Result<MDBook> {
    let config_file = root.join("book.toml");
    let mut config = Config::from_disk(&config_file)
        .with_context(|| format!("cannot read {}", config_file.display()))?;
    config.build.create_missing = false;
    config.build.build_dir = dir.to_path_buf();
    config.build.use_default_preprocessors = false;
    config.book.language = Some(language.code.to_owned());
    config.book.title = Some(language.title.to_owned());
    let mut book = MDBook::load_with_config(root, config)
        .with_context(|| format!("cannot load the book at {}", root.display()))?;
    book.with_preprocessor(anchors::ENGLISH_ANCHORS)
        .with_preprocessor(diagrams::WHOLE_DIAGRAMS)
        .with_preprocessor(mdbook_i18n_helpers::preprocessors::Gettext)
        .with_preprocessor(LinkPreprocessor::new())
        .with_preprocessor(IndexPreprocessor::new());
    Ok(book)
}

#[cfg(test)]
mod tests {
    use polib::message::{MessageMutView, MessageView};

    use super::*;
    use crate::book::testing::temp_book;

    const PAGE: &str = "# Half-close and close\n\nA socket is an end.\n\n\
                        ```mermaid\nsequenceDiagram\n    C->>S: SYN\n```\n\n\
                        ```rust\n{{#include code.rs}}\n```\n";

    /// The Chinese of each English message of [`PAGE`].
    fn translated(msgid: &str) -> String {
        match msgid {
            "Half-close and close" => "半关闭与关闭".into(),
            "A socket is an end." => "套接字是一端。".into(),
            diagram => diagram.replace("C->>S: SYN", "C->>S: SYN 报文段"),
        }
    }

    #[test]
    fn a_page_goes_from_english_to_a_complete_chinese_edition() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "[Half-close and close](page.md)\n"),
            ("book/page.md", PAGE),
            ("book/code.rs", "fn main() {}\n"),
            ("po/terms.toml", "term = []\n"),
        ]);
        let root = book.path();
        let zh = LANGUAGES[0];

        // The update writes every message, untranslated; the check says so.
        let merged = update(root, zh).unwrap();
        assert_eq!((merged.total, merged.untranslated), (3, 3), "{merged:?}");
        let mut po = read_catalog(&po_file(root, zh)).unwrap();
        let msgids: Vec<String> = po.messages().map(|m| m.msgid().to_owned()).collect();
        assert!(msgids.iter().any(|m| m.contains("%% //")), "{msgids:?}");
        assert!(!msgids.iter().any(|m| m.contains("fn main")), "{msgids:?}");
        let untranslated = check(root).unwrap();
        assert_eq!(untranslated.len(), 3, "{untranslated:?}");

        // Translated (SUMMARY.md's title is the page's heading), it is complete.
        for mut message in po.messages_mut() {
            let chinese = translated(message.msgid());
            message.set_msgstr(chinese).unwrap();
        }
        polib::po_file::write(&po, &po_file(root, zh)).unwrap();
        assert_eq!(check(root).unwrap(), Vec::new());

        // The edition keeps the English anchor and the included code.
        let build = crate::book::build_edition(root, zh).unwrap();
        assert!(build.findings.is_empty(), "{:?}", build.findings);
        assert_eq!(build.dir, root.join("target/book/zh-CN"));
        let html = fs::read_to_string(build.dir.join("page.html")).unwrap();
        assert!(html.contains(r#"id="half-close-and-close""#), "{html}");
        for shown in [
            "半关闭与关闭",
            "套接字是一端。",
            "SYN 报文段",
            "fn main() {}",
            "Rust 套接字编程",
        ] {
            assert!(html.contains(shown), "{shown} is not in the page:\n{html}");
        }
    }

    #[test]
    fn a_missing_or_broken_translation_is_a_clear_problem() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "[Page](page.md)\n"),
            ("book/page.md", "# Page\n"),
            ("po/terms.toml", "term = []\n"),
        ]);
        let root = book.path();
        let missing = check(root).unwrap();
        assert_eq!(missing.len(), 1);
        assert!(
            missing[0]
                .to_string()
                .starts_with("po/zh-CN.po: missing: run `cargo book update-translations`")
        );

        fs::write(
            po_file(root, LANGUAGES[0]),
            "msgid \"Page\"\nmsgstr \"unclosed\n",
        )
        .unwrap();
        let err = check(root).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");
        assert!(language("fr").is_none());
    }
}
