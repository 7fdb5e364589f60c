//! Diagrams: ```` ```mermaid ```` blocks, drawn offline in the reader's browser.
//!
//! A page says `sequenceDiagram ...` in a fenced block. The `mdbook-mermaid`
//! preprocessor, registered here in-process (no `mdbook-mermaid` binary to
//! install), turns each block into `<pre class="mermaid">`; `book.toml` adds
//! Mermaid's JavaScript to every page (`[output.html] additional-js`), from
//! the copy kept in `xtask/assets/`, so nothing is fetched from a CDN. The
//! browser test checks that each block became an SVG.

use std::path::Path;

use mdbook_driver::MDBook;

/// The JavaScript files every page loads to draw its diagrams, relative to
/// the workspace root, as `book.toml` lists them.
pub const SCRIPTS: [&str; 2] = [
    "xtask/assets/mermaid.min.js",
    "xtask/assets/mermaid-init.js",
];

/// Adds the mermaid preprocessor to `book`; it runs after the built-in ones,
/// so a diagram may come from an `{{#include}}`.
pub(crate) fn register(book: &mut MDBook) {
    book.with_preprocessor(mdbook_mermaid::Mermaid);
}

/// The number of ```` ```mermaid ```` (or `~~~mermaid`) blocks in a page's
/// Markdown. `mdbook-mermaid` draws only those whose info string is exactly
/// `mermaid`; one with more (`mermaid title`) is counted here all the same,
/// so that the browser test reports it as a diagram that was not drawn.
pub fn count_blocks(markdown: &str) -> usize {
    crate::readme::fenced_blocks(markdown)
        .iter()
        .filter(|block| block.language() == "mermaid")
        .count()
}

/// Whether `book.toml` at `root` lists every one of [`SCRIPTS`] as
/// additional JavaScript, and each exists.
pub fn check_scripts(root: &Path) -> Vec<crate::Problem> {
    let config_file = root.join("book.toml");
    let listed: Vec<String> = std::fs::read_to_string(&config_file)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| {
            let js = table.get("output")?.get("html")?.get("additional-js")?;
            Some(
                js.as_array()?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )
        })
        .unwrap_or_default();
    let mut problems = Vec::new();
    for script in SCRIPTS {
        if !listed.iter().any(|l| l == script) {
            let message = format!("[output.html] additional-js does not list {script}");
            problems.push(crate::Problem::in_file(root, &config_file, message));
        }
        if !root.join(script).is_file() {
            let message = format!("{script} is missing: the book would lack it");
            problems.push(crate::Problem::in_file(root, &root.join(script), message));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::book::testing::temp_book;

    #[test]
    fn counts_mermaid_blocks_only() {
        let page =
            "```mermaid\nsequenceDiagram\n```\n```rust\n```mermaid\n```\n  ~~~ mermaid\n~~~\n";
        assert_eq!(count_blocks(page), 2);
    }

    #[test]
    fn a_mermaid_block_becomes_a_pre_for_mermaid_js() {
        let book = temp_book(&[
            ("book/SUMMARY.md", "[Intro](intro.md)\n"),
            (
                "book/intro.md",
                "# Intro\n\n```mermaid\nsequenceDiagram\n    A->>B: hello\n```\n",
            ),
        ]);
        let build = crate::book::build(book.path()).unwrap();
        assert!(build.findings.is_empty(), "{:?}", build.findings);
        let html = fs::read_to_string(build.dir.join("intro.html")).unwrap();
        assert!(
            html.contains("<pre class=\"mermaid\">sequenceDiagram"),
            "no mermaid block in:\n{html}"
        );
    }

    #[test]
    fn the_workspace_ships_the_scripts_it_lists() {
        assert_eq!(check_scripts(crate::workspace_root()), []);
    }

    /// The vendored `mermaid.min.js` is the one the locked `mdbook-mermaid`
    /// embeds, when cargo's registry holds that crate's source.
    #[test]
    fn the_vendored_mermaid_is_the_crates_copy() {
        let root = crate::workspace_root();
        let lock = fs::read_to_string(root.join("Cargo.lock")).unwrap();
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"mdbook-mermaid\""))
            .and_then(|p| p.split("version = \"").nth(1))
            .and_then(|v| v.split('"').next())
            .expect("mdbook-mermaid is in Cargo.lock");
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
            .unwrap_or_default();
        let crate_dir = format!("mdbook-mermaid-{version}");
        let upstream = fs::read_dir(cargo_home.join("registry/src"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|index| {
                index
                    .path()
                    .join(&crate_dir)
                    .join("src/bin/assets/mermaid.min.js")
            })
            .find(|path| path.is_file());
        let Some(upstream) = upstream else {
            eprintln!("SKIPPED: the source of {crate_dir} is not in cargo's registry");
            return;
        };
        let ours = fs::read(root.join(SCRIPTS[0])).unwrap();
        assert!(
            ours == fs::read(&upstream).unwrap(),
            "{} differs from {}: copy it anew",
            SCRIPTS[0],
            upstream.display()
        );
    }
}
