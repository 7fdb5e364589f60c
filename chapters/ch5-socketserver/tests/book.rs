//! The chapter's pages in `book/ch5/`: every link from them to a page
//! arrives, and every test the checklist names exists. (Every include of
//! the whole book is checked by the workspace's `tests/book.rs`.)

use std::fs;
use std::path::{Path, PathBuf};

fn chapter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/ch5")
}

/// Every page of the chapter (each `.md` file in `book/ch5/`), by name.
fn pages() -> Vec<(String, String)> {
    let mut names: Vec<String> = fs::read_dir(chapter_dir())
        .unwrap_or_else(|e| panic!("book/ch5: {e}"))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .collect();
    names.sort();
    assert!(names.len() > 2, "book/ch5 has only {names:?}");
    names
        .into_iter()
        .map(|name| {
            let text = fs::read_to_string(chapter_dir().join(&name))
                .unwrap_or_else(|e| panic!("book/ch5/{name}: {e}"));
            (name, text)
        })
        .collect()
}

#[test]
fn every_link_between_the_pages_arrives() {
    let pages = pages();
    for (page, text) in &pages {
        let mut rest = text.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let end = after.find(')').unwrap();
            let link = &after[..end];
            rest = &after[end..];
            if link.starts_with("http") || !link.contains(".md") {
                continue;
            }
            let (file, fragment) = link.split_once('#').unwrap_or((link, ""));
            // A page of this chapter, or of another one (`../ch3/...`).
            let target = match pages.iter().find(|(name, _)| name == file) {
                Some((_, text)) => text.clone(),
                None => fs::read_to_string(chapter_dir().join(file))
                    .unwrap_or_else(|e| panic!("{page}: link to missing page {file}: {e}")),
            };
            if !fragment.is_empty() {
                let ids: Vec<String> = target
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(|l| {
                        l.trim_start_matches('#')
                            .trim()
                            .to_lowercase()
                            .chars()
                            .filter_map(|c| match c {
                                ' ' => Some('-'),
                                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                                _ => None,
                            })
                            .collect()
                    })
                    .collect();
                assert!(
                    ids.iter().any(|id| id == fragment),
                    "{page}: {link}: {ids:?}"
                );
            }
        }
    }
}

#[test]
fn every_test_the_checklist_names_exists() {
    let pages = pages();
    let (_, checklist) = pages
        .iter()
        .find(|(name, _)| name == "checklist.md")
        .expect("book/ch5/checklist.md");
    let tests: String = ["library.rs", "upper.rs", "faults.rs"]
        .iter()
        .map(|f| {
            fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(f)).unwrap()
        })
        .collect();
    let rows: Vec<&str> = checklist
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".rs`"))
        .collect();
    assert!(rows.len() > 5, "the checklist has only {} rows", rows.len());
    for line in rows {
        for name in line.split('`').filter(|w| {
            w.chars().all(|c| c.is_ascii_lowercase() || c == '_') && w.matches('_').count() > 3
        }) {
            assert!(
                tests.contains(&format!("fn {name}(")),
                "the checklist names `{name}`, which is no test"
            );
        }
    }
}
