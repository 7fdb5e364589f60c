//! Links to a chapter's `README.md` that work in the built book too.
//!
//! mdBook renames every `README.md` page to `index.html` (its built-in
//! `index` preprocessor) but turns a link to `../ch1/README.md` into
//! `../ch1/README.html`, a file it never writes: the link works on GitHub and
//! is broken in the book. This preprocessor, run in-process before the
//! others' output is rendered, points such links at `index.md`, which mdBook
//! then renders as `index.html`. The Markdown keeps `README.md`, the name
//! that works where the sources are read.

use std::sync::LazyLock;

use regex::Regex;

use super::PageRewrite;

/// A Markdown link target or reference definition ending in `README.md`,
/// with an optional `#fragment`: group 1 is what comes before `README.md`.
static README_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)(\]\(\s*<?|^\s{0,3}\[[^\]]+\]:\s*<?)([^)\s>:]*/)?README\.md([#)\s>]|$)")
        .expect("a valid regex")
});

/// The preprocessor; see the module's documentation.
pub(crate) const README_LINKS: PageRewrite = PageRewrite {
    name: "readme-links",
    rewrite,
    only_for: Some("html"),
};

/// `markdown` with its links to `README.md` pointed at `index.md`.
fn rewrite(markdown: &str) -> String {
    README_LINK
        .replace_all(markdown, "${1}${2}index.md${3}")
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_readme_links_at_index() {
        assert_eq!(
            rewrite("See [one](../ch1/README.md) and [two](ch2/README.md#top).\n[r]: README.md\n"),
            "See [one](../ch1/index.md) and [two](ch2/index.md#top).\n[r]: index.md\n"
        );
    }

    #[test]
    fn leaves_other_links_and_sites_alone() {
        let text = "[a](../ch1/NOT-README.md) [b](https://example.org/README.md) [c](x/README.mdx)";
        assert_eq!(rewrite(text), text);
    }
}
