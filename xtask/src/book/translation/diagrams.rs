//! Every diagram's text goes to the translators.
//!
//! `mdbook-i18n-helpers` takes the strings and comments out of a code block
//! in a language it knows (Rust, Python). Mermaid it does not know, and for
//! such a block it guesses: the whole block is one message if it holds a `"`
//! or a `//`, and none otherwise. A diagram whose labels have no quotes,
//! such as `Note over S: nobody listens on the port`, would stay in English
//! in every edition. This preprocessor ends each such diagram with a Mermaid
//! comment, `%% //`, which Mermaid ignores and which makes the guess come
//! out right. It runs where the messages are taken out and where they are
//! put back, never in the English book.

use crate::book::PageRewrite;

/// The line that marks a diagram as a message.
pub(crate) const MARK: &str = "%% //";

/// The preprocessor; see the module's documentation.
pub(crate) const WHOLE_DIAGRAMS: PageRewrite = PageRewrite {
    name: "whole-diagrams",
    rewrite: marked,
    only_for: None,
};

/// `markdown` with [`MARK`] as the last line of every ```` ```mermaid ````
/// block that has neither a `"` nor a `//`.
pub(crate) fn marked(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut block: Option<(String, String)> = None; // (fence, body)
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        match block.as_mut() {
            None => {
                let fence: String = trimmed.chars().take_while(|&c| c == '`').collect();
                if fence.len() >= 3 && trimmed[fence.len()..].trim() == "mermaid" {
                    block = Some((fence, String::new()));
                }
                out.push_str(line);
            }
            Some((fence, body)) => {
                if trimmed.starts_with(fence.as_str()) && trimmed.trim() == fence.as_str() {
                    out.push_str(body);
                    if !body.contains('"') && !body.contains("//") {
                        let indent = &line[..line.len() - trimmed.len()];
                        out.push_str(&format!("{indent}{MARK}\n"));
                    }
                    out.push_str(line);
                    block = None;
                } else {
                    body.push_str(line);
                }
            }
        }
    }
    if let Some((_, body)) = block {
        out.push_str(&body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_only_the_diagrams_that_would_be_skipped() {
        let page = "Text\n\n```mermaid\nsequenceDiagram\n    C->>S: SYN\n```\n\n\
                    ```mermaid\nsequenceDiagram\n    C->>S: send \"hi\"\n```\n\n\
                    ```text\nC->>S\n```\n";
        assert_eq!(
            marked(page),
            "Text\n\n```mermaid\nsequenceDiagram\n    C->>S: SYN\n%% //\n```\n\n\
             ```mermaid\nsequenceDiagram\n    C->>S: send \"hi\"\n```\n\n\
             ```text\nC->>S\n```\n"
        );
    }

    #[test]
    fn the_marked_diagram_becomes_one_message() {
        let page = marked("```mermaid\nsequenceDiagram\n    C->>S: SYN\n```\n");
        let messages = mdbook_i18n_helpers::extract_messages(&page).unwrap();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].1.message.contains("C->>S: SYN"));
    }
}
