//! The English anchors, kept in every edition.
//!
//! mdBook gives each heading an id made from its words: "Half-close and
//! close" becomes `#half-close-and-close`. A translated heading would get an
//! id made of Chinese words, and every link to `connection-life.md#half-close-and-close`
//! (from the glossary, from another chapter, from a search result, from a
//! reader's bookmark) would land at the top of the page instead. This
//! preprocessor runs before the translation and writes the English id into
//! each heading (`## Half-close and close {#half-close-and-close}`), so the
//! translated heading keeps it.

use std::collections::HashSet;

use mdbook_markdown::MarkdownOptions;
use pulldown_cmark::{Event, Tag, TagEnd};

use crate::book::PageRewrite;

/// The preprocessor; see the module's documentation.
pub(crate) const ENGLISH_ANCHORS: PageRewrite = PageRewrite {
    name: "english-anchors",
    rewrite: with_heading_ids,
    only_for: None,
};

/// `markdown` with an explicit `{#id}` on every heading that has none: the
/// id mdBook would have made of the heading's words.
pub(crate) fn with_heading_ids(markdown: &str) -> String {
    let mut used = HashSet::new();
    // Where each heading's line ends, and the id to write there.
    let mut insertions = Vec::new();
    let mut heading: Option<(std::ops::Range<usize>, String)> = None;
    let parser = mdbook_markdown::new_cmark_parser(markdown, &MarkdownOptions::default());
    for (event, range) in parser.into_offset_iter() {
        match event {
            // A heading with an id of its own keeps it; mdBook does not
            // count it among the page's ids either.
            Event::Start(Tag::Heading { id: None, .. }) => heading = Some((range, String::new())),
            Event::Text(text) | Event::Code(text) => {
                if let Some((_, words)) = heading.as_mut() {
                    words.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((range, words)) = heading.take() {
                    let id = unique_id(&id_from_content(&words), &mut used);
                    insertions.push((text_end(markdown, range), id));
                }
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(markdown.len() + insertions.len() * 24);
    let mut at = 0;
    for (end, id) in insertions {
        out.push_str(&markdown[at..end]);
        out.push_str(&format!(" {{#{id}}}"));
        at = end;
    }
    out.push_str(&markdown[at..]);
    out
}

/// Where the `{#id}` of the heading at `range` goes: the end of its first
/// line (an ATX heading's only line, closing `#`s and all; a setext
/// heading's line of words).
fn text_end(markdown: &str, range: std::ops::Range<usize>) -> usize {
    let source = &markdown[range.clone()];
    let line = source.split('\n').next().unwrap_or_default();
    range.start + line.trim_end_matches(['\r', ' ', '\t']).len()
}

/// mdBook's id for a heading's text (`mdbook-html`'s `id_from_content`,
/// which is not public): lower case, letters, digits, `_` and `-` kept,
/// white space made `-`, everything else dropped.
fn id_from_content(content: &str) -> String {
    content
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|ch| {
            if ch.is_alphanumeric() || ch == '_' || ch == '-' {
                Some(ch)
            } else if ch.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// mdBook's way to keep a page's ids apart (`mdbook-html`'s `unique_id`):
/// the second "Exercises" heading of a page is `exercises-1`.
fn unique_id(id: &str, used: &mut HashSet<String>) -> String {
    if used.insert(id.to_string()) {
        return id.to_string();
    }
    (1..)
        .map(|n| format!("{id}-{n}"))
        .find(|candidate| used.insert(candidate.clone()))
        .expect("some suffix is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_id_mdbook_would_make_into_each_heading() {
        let page = "# Sticky packets (粘包)\n\nText.\n\n## The `recv` call: twice\n\n\
                    ## Exercises ##\n\nExercises\n---------\n\n### Kept {#mine}\n";
        assert_eq!(
            with_heading_ids(page),
            "# Sticky packets (粘包) {#sticky-packets-粘包}\n\nText.\n\n\
             ## The `recv` call: twice {#the-recv-call-twice}\n\n\
             ## Exercises ## {#exercises}\n\nExercises {#exercises-1}\n---------\n\n\
             ### Kept {#mine}\n"
        );
        // And mdBook's parser reads each id back.
        let ids: Vec<String> =
            mdbook_markdown::new_cmark_parser(&with_heading_ids(page), &MarkdownOptions::default())
                .filter_map(|event| match event {
                    Event::Start(Tag::Heading { id: Some(id), .. }) => Some(id.to_string()),
                    _ => None,
                })
                .collect();
        assert_eq!(
            ids,
            [
                "sticky-packets-粘包",
                "the-recv-call-twice",
                "exercises",
                "exercises-1",
                "mine"
            ]
        );
    }

    #[test]
    fn leaves_code_blocks_and_a_page_without_headings_alone() {
        let page = "Text\n\n```text\n# not a heading\n```\n";
        assert_eq!(with_heading_ids(page), page);
    }
}
