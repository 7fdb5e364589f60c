//! Whether a translation is complete, current and faithful.
//!
//! An edition that silently falls behind the English is worse than none, so
//! the suite fails while any English message has no current translation:
//! missing from the PO file (run `cargo book update-translations`),
//! untranslated, or `fuzzy` (its English changed since it was translated).
//! It also fails where a translation changed what must not change (a code
//! span, a link's target) or left out the course's word for a term the
//! English uses (`po/terms.toml`).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use polib::catalog::Catalog;
use pulldown_cmark::{Event, Options, Parser, Tag};
use regex::Regex;
use serde::Deserialize;

/// One entry of the terminology table, `po/terms.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Term {
    /// The English word or phrase, matched whole, in any case.
    pub english: String,
    /// The Chinese the translation uses for it.
    pub chinese: String,
    /// Other spellings the translation may use instead.
    #[serde(default)]
    pub also: Vec<String>,
    /// Where the Chinese comes from: `course`, `usual` or `book`.
    pub source: String,
    /// Whether the suite checks that the translation uses it.
    #[serde(default)]
    pub checked: bool,
}

#[derive(Debug, Deserialize)]
struct TermsFile {
    term: Vec<Term>,
}

/// The terminology table at `path`.
pub fn read_terms(path: &Path) -> Result<Vec<Term>> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: TermsFile =
        toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))?;
    Ok(file.term)
}

/// What is wrong with the translation `po` of the English `template`, one
/// sentence each.
pub fn problems(template: &Catalog, po: &Catalog, terms: &[Term]) -> Vec<String> {
    let translations: HashMap<&str, _> = po.messages().map(|m| (m.msgid(), m)).collect();
    let checked: Vec<(Regex, &Term)> = terms
        .iter()
        .filter(|t| t.checked)
        .map(|t| (whole_word(&t.english), t))
        .collect();
    let mut problems = Vec::new();
    for english in template.messages() {
        let msgid = english.msgid();
        let place = format!("{} ({})", shorten(msgid), english.source());
        let Some(entry) = translations.get(msgid) else {
            problems.push(format!("not in the translation yet: {place}"));
            continue;
        };
        if !entry.is_translated() {
            problems.push(format!("untranslated: {place}"));
            continue;
        }
        if entry.flags().is_fuzzy() {
            problems.push(format!("fuzzy (its English changed): {place}"));
            continue;
        }
        let msgstr = entry.msgstr().unwrap_or_default();
        if msgstr == msgid {
            // Kept as it is on purpose (a name, a command, a path), unless
            // it is a sentence.
            if english_sentence(msgid) {
                problems.push(format!("still in English: {place}"));
            }
            continue;
        }
        problems.extend(
            unfaithful(msgid, msgstr, &checked)
                .into_iter()
                .map(|why| format!("{why}: {place}")),
        );
    }
    problems
}

/// Where the glossary (the Markdown of Appendix C) and the terms table
/// disagree: a row whose English term (first column, or one of its
/// comma-separated names) is in `terms` must show that term's Chinese in
/// its second column.
pub fn glossary_disagreements(glossary: &str, terms: &[Term]) -> Vec<String> {
    let mut disagreements = Vec::new();
    for line in glossary.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [english, chinese, ..] = cells[..] else {
            continue;
        };
        for name in english.split(',').map(|n| n.trim().trim_matches('`')) {
            let Some(term) = terms.iter().find(|t| t.english.eq_ignore_ascii_case(name)) else {
                continue;
            };
            let mut spellings = std::iter::once(&term.chinese).chain(&term.also);
            if !spellings.any(|w| chinese.contains(w.as_str())) {
                disagreements.push(format!(
                    "the glossary gives {chinese:?} for {name:?}, po/terms.toml {:?}",
                    term.chinese
                ));
            }
        }
    }
    disagreements
}

/// How the translation `msgstr` of `msgid` changed what it must keep: its
/// code spans, link targets and emphasis, and the `checked` terms.
fn unfaithful(msgid: &str, msgstr: &str, checked: &[(Regex, &Term)]) -> Vec<String> {
    let (english, translated) = (Markup::of(msgid), Markup::of(msgstr));
    let mut why = Vec::new();
    if english.code != translated.code {
        why.push(format!(
            "the code spans differ from the English's ({:?}, translated {:?})",
            english.code, translated.code
        ));
    }
    if english.targets != translated.targets {
        why.push(format!(
            "the link targets differ from the English's ({:?}, translated {:?})",
            english.targets, translated.targets
        ));
    }
    // A title in 《》 may stand for an emphasised one.
    let titles = msgstr.matches('《').count();
    if translated.emphasis > english.emphasis || translated.emphasis + titles < english.emphasis {
        why.push(format!(
            "{} emphasised or bold parts in the English, {} in the translation \
             (next to Chinese, write `*...*` and `**...**`, with the punctuation outside)",
            english.emphasis, translated.emphasis
        ));
    }
    for (pattern, term) in checked {
        let mut wanted = std::iter::once(&term.chinese).chain(&term.also);
        if pattern.is_match(&english.prose) && !wanted.any(|w| msgstr.contains(w.as_str())) {
            why.push(format!(
                "the English says {:?} but the translation has no {:?}",
                term.english, term.chinese
            ));
        }
    }
    why
}

/// The parts of a message that a translation keeps, and its prose.
#[derive(Debug, Default)]
struct Markup {
    /// The code spans, sorted.
    code: Vec<String>,
    /// The targets of links and images, sorted.
    targets: Vec<String>,
    /// How many parts are emphasised or bold (they must still be, where
    /// `_x_` next to Chinese would not be).
    emphasis: usize,
    /// The words outside code.
    prose: String,
}

impl Markup {
    fn of(message: &str) -> Self {
        let mut markup = Markup::default();
        if message.trim_start().starts_with("```") {
            // A diagram or a code block: its text is what is translated.
            return markup;
        }
        for event in Parser::new_ext(message, Options::all()) {
            match event {
                Event::Code(code) => markup.code.push(code.to_string()),
                Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                    markup.targets.push(dest_url.to_string());
                }
                Event::Start(Tag::Emphasis | Tag::Strong) => markup.emphasis += 1,
                Event::Text(text) => {
                    markup.prose.push_str(&text);
                    markup.prose.push(' ');
                }
                _ => {}
            }
        }
        markup.code.sort();
        markup.targets.sort();
        markup
    }
}

/// Whether a message kept as it is reads as an English sentence: six or
/// more words of letters outside code, among them one of the small words
/// every English sentence has. A command, a path, a name, a term or a
/// program's short error message does not.
fn english_sentence(message: &str) -> bool {
    const SMALL_WORDS: [&str; 13] = [
        "the", "an", "is", "are", "of", "to", "and", "in", "it", "that", "for", "with", "this",
    ];
    let prose = Markup::of(message).prose.to_lowercase();
    let words: Vec<&str> = prose
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| word.len() > 1)
        .collect();
    words.len() >= 6 && words.iter().any(|word| SMALL_WORDS.contains(word))
}

/// A pattern for `words` as a whole word or phrase, in any case.
fn whole_word(words: &str) -> Regex {
    Regex::new(&format!(
        r"(?i)(^|[^\w-]){}($|[^\w-])",
        regex::escape(words)
    ))
    .expect("an escaped term is a valid pattern")
}

/// The start of a message, on one line, for a problem's sentence.
fn shorten(msgid: &str) -> String {
    let line = msgid.lines().next().unwrap_or_default();
    let short: String = line.chars().take(60).collect();
    if short.len() < msgid.len() {
        format!("{short:?}...")
    } else {
        format!("{short:?}")
    }
}

#[cfg(test)]
mod tests {
    use polib::message::{Message, MessageFlags, MessageMutView, MessageView};
    use polib::metadata::CatalogMetadata;

    use super::*;

    fn catalog(entries: &[(&str, &str)]) -> Catalog {
        let mut catalog = Catalog::new(CatalogMetadata::new());
        for (msgid, msgstr) in entries {
            catalog.append_or_update(
                Message::build_singular()
                    .with_source("book/a.md".to_owned())
                    .with_msgid((*msgid).to_owned())
                    .with_msgstr((*msgstr).to_owned())
                    .done(),
            );
        }
        catalog
    }

    fn term(english: &str, chinese: &str) -> Term {
        Term {
            english: english.into(),
            chinese: chinese.into(),
            also: Vec::new(),
            source: "course".into(),
            checked: true,
        }
    }

    #[test]
    fn a_complete_faithful_translation_has_no_problems() {
        let template = catalog(&[("A `socket` is [an end](a.md#end).", "")]);
        let po = catalog(&[(
            "A `socket` is [an end](a.md#end).",
            "`socket` 是[一端](a.md#end)。",
        )]);
        assert_eq!(problems(&template, &po, &[]), Vec::<String>::new());
    }

    #[test]
    fn names_every_kind_of_gap() {
        let template = catalog(&[
            ("Missing.", ""),
            ("Empty.", ""),
            ("Changed.", ""),
            ("Use `recv` here.", ""),
            ("See [this](a.md#x).", ""),
            ("A socket (not in `socket2`).", ""),
            ("A *whole* sentence that was left as it was.", ""),
            ("It is *not* emphasised.", ""),
        ]);
        let mut po = catalog(&[
            ("Empty.", ""),
            ("Changed.", "改了。"),
            ("Use `recv` here.", "在这里用 `read`。"),
            ("See [this](a.md#x).", "见[这里](a.md#y)。"),
            (
                "A socket (not in `socket2`).",
                "一个插座（不在 `socket2` 里）。",
            ),
            (
                "A *whole* sentence that was left as it was.",
                "A *whole* sentence that was left as it was.",
            ),
            ("It is *not* emphasised.", "它_并没有_被强调。"),
        ]);
        for mut message in po.messages_mut() {
            if message.msgid() == "Changed." {
                let mut flags = MessageFlags::new();
                flags.add_flag("fuzzy");
                *message.flags_mut() = flags;
            }
        }
        let found = problems(&template, &po, &[term("socket", "套接字")]);
        let expected = [
            "not in the translation yet",
            "untranslated",
            "fuzzy",
            "code spans differ",
            "link targets differ",
            "the English says \"socket\" but the translation has no \"套接字\"",
            "still in English",
            "1 emphasised or bold parts in the English, 0 in the translation",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (found, expected) in found.iter().zip(expected) {
            assert!(found.contains(expected), "{found} should say {expected}");
        }
    }

    #[test]
    fn a_name_or_a_command_may_stay_as_it_is() {
        let kept = [
            "`cargo run -p ch3-ssh`",
            "cargo build --package checker --bin exercise",
            "#include ../../chapters/ch1/exercises/a.py}}",
            "partial read, half packet",
            "`InvalidInput`, \"path must be shorter than SUN_LEN\"",
            "sendfile",
        ];
        let entries: Vec<_> = kept.iter().map(|k| (*k, *k)).collect();
        let template = catalog(&kept.map(|k| (k, "")));
        let po = catalog(&entries);
        assert_eq!(
            problems(&template, &po, &[term("exercises", "练习")]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_term_inside_code_or_another_word_is_not_the_term() {
        let template = catalog(&[("Import `socket`; a sockets-free server.", "")]);
        let po = catalog(&[(
            "Import `socket`; a sockets-free server.",
            "导入 `socket`；一个服务端。",
        )]);
        assert_eq!(
            problems(&template, &po, &[term("socket", "套接字")]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn the_glossary_must_show_the_terms_tables_word() {
        let glossary = "| English | Chinese |\n|---|---|\n| socket | 套接字 |\n\
                        | poll, `poll(2)` | poll |\n| blocking | 堵塞 |\n";
        let terms = [
            term("socket", "套接字"),
            term("poll", "poll"),
            term("blocking", "阻塞"),
        ];
        assert_eq!(
            glossary_disagreements(glossary, &terms),
            ["the glossary gives \"堵塞\" for \"blocking\", po/terms.toml \"阻塞\""]
        );
    }

    #[test]
    fn the_books_terms_table_reads() {
        let terms = read_terms(&crate::workspace_root().join("po/terms.toml")).unwrap();
        assert!(
            terms
                .iter()
                .any(|t| t.english == "sticky packets" && t.chinese == "粘包")
        );
        assert!(
            terms
                .iter()
                .all(|t| ["course", "usual", "book"].contains(&t.source.as_str()))
        );
    }
}
