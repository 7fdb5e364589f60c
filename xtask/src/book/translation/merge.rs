//! Bringing a translation up to date with the English, as `msgmerge` does.
//!
//! gettext's own `msgmerge` is a C program a reader's machine may not have;
//! this is the part of it the book needs, on `polib`'s catalogs. Every
//! message of the English book gets an entry, in the English order:
//!
//! - a message the translation has already keeps its translation;
//! - a message that is new, but close to one the English no longer has on
//!   the same page (a paragraph edited), gets that one's translation,
//!   marked `fuzzy`, with the old English in a comment, so the translator
//!   sees what changed and checks it;
//! - any other new message comes in untranslated.
//!
//! Entries whose English is gone are dropped.

use polib::catalog::Catalog;
use polib::message::{Message, MessageFlags, MessageMutView, MessageView};
use polib::metadata::CatalogMetadata;

/// How alike an old and a new English message must be (0 to 1, by edit
/// distance) for the old translation to be offered as a fuzzy one.
const SIMILAR: f64 = 0.6;

/// What an update did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Merged {
    /// Messages in the English book.
    pub total: usize,
    /// Messages with a translation that is current.
    pub translated: usize,
    /// Messages with a translation to check (`fuzzy`).
    pub fuzzy: usize,
    /// Messages with no translation.
    pub untranslated: usize,
    /// Entries of the old translation whose English is gone.
    pub dropped: usize,
}

/// The translation `old` brought up to date with the English messages of
/// `template`; see the module's documentation.
pub fn merge(template: &Catalog, old: &Catalog) -> (Catalog, Merged) {
    // (polib's metadata is not `Clone`; its own text form round-trips.)
    let metadata = CatalogMetadata::parse(&old.metadata.export_for_po())
        .unwrap_or_else(|_| CatalogMetadata::new());
    let mut merged = Catalog::new(metadata);
    let mut counts = Merged::default();
    let current: std::collections::HashSet<&str> = template.messages().map(|m| m.msgid()).collect();
    // Old entries no current message matches: candidates for fuzzy ones.
    let mut orphans: Vec<&dyn MessageView> = old
        .messages()
        .filter(|m| !current.contains(m.msgid()) && m.is_translated())
        .collect();
    counts.dropped = old
        .messages()
        .filter(|m| !current.contains(m.msgid()))
        .count();
    for english in template.messages() {
        counts.total += 1;
        let mut entry = Message::build_singular()
            .with_msgid(english.msgid().to_owned())
            .with_source(english.source().to_owned())
            .with_comments(english.comments().to_owned())
            .done();
        if let Some(known) = old.find_message(None, english.msgid(), None) {
            let msgstr = known.msgstr().unwrap_or_default().to_owned();
            *entry.flags_mut() = known.flags().clone();
            let _ = entry.set_msgstr(msgstr);
        } else if let Some(index) = closest(english, &orphans) {
            let previous = orphans.swap_remove(index);
            let _ = entry.set_msgstr(previous.msgstr().unwrap_or_default().to_owned());
            let mut flags = MessageFlags::new();
            flags.add_flag("fuzzy");
            *entry.flags_mut() = flags;
            let note = format!("previous English: {}", previous.msgid());
            let comments = match english.comments() {
                "" => note,
                comments => format!("{comments}\n{note}"),
            };
            *entry.comments_mut() = comments;
        }
        if entry.flags().is_fuzzy() {
            counts.fuzzy += 1;
        } else if entry.is_translated() {
            counts.translated += 1;
        } else {
            counts.untranslated += 1;
        }
        merged.append_or_update(entry);
    }
    (merged, counts)
}

/// The orphan on the same page most like `english`, if any is alike enough.
fn closest(english: &dyn MessageView, orphans: &[&dyn MessageView]) -> Option<usize> {
    orphans
        .iter()
        .enumerate()
        .filter(|(_, old)| same_page(old.source(), english.source()))
        .map(|(index, old)| {
            let score = strsim::normalized_levenshtein(old.msgid(), english.msgid());
            (index, score)
        })
        .filter(|&(_, score)| score >= SIMILAR)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(index, _)| index)
}

/// Whether two entries' `#:` references share a page.
fn same_page(a: &str, b: &str) -> bool {
    a.split_whitespace()
        .any(|page| b.split_whitespace().any(|other| other == page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(entries: &[(&str, &str, &str)]) -> Catalog {
        let mut catalog = Catalog::new(CatalogMetadata::new());
        for (page, msgid, msgstr) in entries {
            catalog.append_or_update(
                Message::build_singular()
                    .with_source((*page).to_owned())
                    .with_msgid((*msgid).to_owned())
                    .with_msgstr((*msgstr).to_owned())
                    .done(),
            );
        }
        catalog
    }

    #[test]
    fn keeps_offers_fuzzy_adds_and_drops_as_msgmerge_does() {
        let old = catalog(&[
            (
                "book/a.md",
                "A socket is an end point.",
                "套接字是一个端点。",
            ),
            (
                "book/a.md",
                "The server listens on a port.",
                "服务端在端口上监听。",
            ),
            ("book/b.md", "Gone for good.", "已删除。"),
        ]);
        let template = catalog(&[
            ("book/a.md", "A socket is an end point.", ""),
            ("book/a.md", "The server listens on one port.", ""),
            ("book/a.md", "Something new entirely, with many words.", ""),
        ]);
        let (merged, counts) = merge(&template, &old);
        assert_eq!(
            counts,
            Merged {
                total: 3,
                translated: 1,
                fuzzy: 1,
                untranslated: 1,
                dropped: 2,
            }
        );
        let messages: Vec<_> = merged.messages().collect();
        assert_eq!(messages[0].msgstr().unwrap(), "套接字是一个端点。");
        assert!(!messages[0].flags().is_fuzzy());
        assert_eq!(messages[1].msgstr().unwrap(), "服务端在端口上监听。");
        assert!(messages[1].flags().is_fuzzy());
        assert!(
            messages[1]
                .comments()
                .contains("previous English: The server listens on a port.")
        );
        assert!(!messages[2].is_translated());
    }

    #[test]
    fn a_fuzzy_entry_stays_fuzzy_until_a_translator_clears_it() {
        let mut old = catalog(&[("book/a.md", "Hello.", "你好。")]);
        let mut flags = MessageFlags::new();
        flags.add_flag("fuzzy");
        for mut message in old.messages_mut() {
            *message.flags_mut() = flags.clone();
        }
        let template = catalog(&[("book/a.md", "Hello.", "")]);
        let (merged, counts) = merge(&template, &old);
        assert_eq!(counts.fuzzy, 1);
        assert!(merged.messages().next().unwrap().flags().is_fuzzy());
    }
}
