//! The chapter's pages in `book/ch1/` show code from this crate with
//! `{{#include FILE:anchor}}`. mdBook builds happily when a file or an anchor
//! is missing (the page just shows the raw directive, or nothing), so this
//! test checks every include, and every link between the chapter's pages.

use std::fs;
use std::path::{Path, PathBuf};

fn chapter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/ch1")
}

fn pages() -> Vec<(PathBuf, String)> {
    let mut pages: Vec<(PathBuf, String)> = fs::read_dir(chapter_dir())
        .expect("book/ch1 exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| {
            let text = fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect();
    pages.sort();
    pages
}

/// Every `{{#include path}}` or `{{#include path:anchor}}` of a page.
fn includes(text: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{#include ") {
        let after = &rest[start + "{{#include ".len()..];
        let end = after.find("}}").expect("an include is closed with }}");
        let target = after[..end].trim();
        match target.split_once(':') {
            Some((file, anchor)) => found.push((file.to_string(), Some(anchor.to_string()))),
            None => found.push((target.to_string(), None)),
        }
        rest = &after[end..];
    }
    found
}

#[test]
fn the_chapter_has_its_pages() {
    let names: Vec<String> = pages()
        .iter()
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for page in [
        "README.md",
        "first-socket.md",
        "families-and-types.md",
        "echo.md",
        "boundaries.md",
        "unix-sockets.md",
        "errors.md",
        "exercises.md",
    ] {
        assert!(
            names.iter().any(|n| n == page),
            "book/ch1/{page} is missing"
        );
    }
}

#[test]
fn every_include_names_a_file_and_anchor_that_exist() {
    let mut count = 0;
    for (page, text) in pages() {
        for (file, anchor) in includes(&text) {
            count += 1;
            let path = chapter_dir().join(&file);
            let source = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: cannot read {file}: {e}", page.display()));
            let Some(anchor) = anchor else {
                // mdBook keeps ANCHOR lines in a whole-file include.
                assert!(
                    !source.contains("ANCHOR"),
                    "{}: {file} is included whole but has ANCHOR lines, which would show",
                    page.display()
                );
                continue;
            };
            let begin = format!("ANCHOR: {anchor}\n");
            let end = format!("ANCHOR_END: {anchor}\n");
            assert!(
                source.contains(&begin) && source.contains(&end),
                "{}: {file} has no anchor `{anchor}`",
                page.display()
            );
            let start = source.find(&begin).unwrap();
            let stop = source.find(&end).unwrap();
            assert!(
                start < stop,
                "{file}: anchor `{anchor}` ends before it begins"
            );
            let body = &source[start + begin.len()..stop];
            assert!(
                body.lines().filter(|l| !l.trim().starts_with("//")).count() > 1,
                "{file}: anchor `{anchor}` shows no code"
            );
        }
    }
    assert!(
        count >= 20,
        "only {count} includes: did the pattern change?"
    );
}

/// mdBook's id for a heading: lower case, spaces to `-`, most punctuation gone.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn every_link_between_the_chapters_pages_arrives() {
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
            // A page of this chapter, or of another (`../ch3/page.md`).
            let target = fs::read_to_string(chapter_dir().join(file))
                .unwrap_or_else(|_| panic!("{}: link to missing page {file}", page.display()));
            if !fragment.is_empty() {
                let ids: Vec<String> = target
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(|l| slug(l.trim_start_matches('#')))
                    .collect();
                assert!(
                    ids.iter().any(|id| id == fragment),
                    "{}: link to {file}#{fragment}, but its headings are {ids:?}",
                    page.display()
                );
            }
        }
    }
}
