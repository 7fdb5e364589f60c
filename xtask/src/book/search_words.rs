//! Chinese words in the book's search index.
//!
//! mdBook builds its search index with elasticlunr-rs, whose English
//! pipeline drops every token that is not ASCII: 粘包, 套接字, 地址簇 are on
//! the pages but not in the index, and the search finds nothing. And Chinese
//! puts no spaces between words, so a run of Chinese characters is a whole
//! phrase or sentence, not a word. After each build this adds, for each
//! indexed section, every pair of neighbouring CJK characters (a bigram, as
//! search engines index Chinese; a lone character is a word by itself) to
//! the index that `searchindex-*.js` holds, the way elasticlunr.js stores
//! words (a tree of characters, each word's node holding the sections it is
//! in and its frequency there). A query is cut the same way in the browser:
//! 套接字 is looked for as 套接 and 接字, and a section that has both ranks
//! first.
//!
//! The browser's side needs a fix too: elasticlunr.js erases such words from
//! the query, and would look for 套接字 whole. `xtask/assets/search-unicode.js`
//! fixes both, and goes at the top
//! of the index's own script: mdBook loads that script on demand, and only
//! there is the fix sure to come before the first search (as a page script
//! of its own it would come too late when the index is in the cache).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::{Context, Result, bail};
use regex::Regex;
use serde_json::{Map, Value, json};

/// What mdBook writes around the index's JSON.
const PREFIX: &str = "window.search = Object.assign(window.search, JSON.parse('";
const SUFFIX: &str = "'));";

/// The fix of elasticlunr.js's query pipeline, run before the index loads.
const QUERY_FIX: &str = include_str!("../../assets/search-unicode.js");

/// A run of Chinese, Japanese or Korean characters.
static CJK_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]+").expect("a valid regex")
});

/// Adds the CJK words to every `searchindex*.js` in `dir`; returns how many
/// distinct words it added. A book without search has no such file.
pub(crate) fn add_cjk_words(dir: &Path) -> Result<usize> {
    let mut added = 0;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("searchindex") && name.ends_with(".js") {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let (text, words) = add_to_script(&text)
                .with_context(|| format!("cannot read the index in {}", path.display()))?;
            fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
            added += words;
        }
    }
    Ok(added)
}

/// The script with the CJK words added, and how many distinct words.
fn add_to_script(script: &str) -> Result<(String, usize)> {
    let Some(quoted) = script
        .trim_end()
        .split_once(PREFIX)
        .and_then(|(_, rest)| rest.strip_suffix(SUFFIX))
    else {
        bail!("it is not the `{PREFIX}...{SUFFIX}` mdBook writes");
    };
    let mut search: Value = serde_json::from_str(&unquote(quoted))?;
    let words = add_to_index(&mut search["index"])?;
    let json = serde_json::to_string(&search)?;
    let quoted = json.replace('\\', "\\\\").replace('\'', "\\'");
    Ok((format!("{QUERY_FIX}\n{PREFIX}{quoted}{SUFFIX}"), words))
}

/// Undoes mdBook's quoting of the JSON in a `'...'` string.
fn unquote(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The words a run of CJK characters is indexed and searched by: its
/// bigrams, or the character itself when it stands alone.
fn cjk_words(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    if chars.len() < 2 {
        return vec![run.to_owned()];
    }
    chars.windows(2).map(|pair| pair.iter().collect()).collect()
}

/// Adds each section's CJK words to the inverted index of each field.
fn add_to_index(index: &mut Value) -> Result<usize> {
    let docs = index["documentStore"]["docs"]
        .as_object()
        .context("no documentStore.docs: the index is stored without its text")?
        .clone();
    let mut distinct = std::collections::BTreeSet::new();
    let fields: Vec<String> = index["index"]
        .as_object()
        .context("no index.index")?
        .keys()
        .cloned()
        .collect();
    for field in fields {
        let root = index["index"][&field]["root"]
            .as_object_mut()
            .context("a field without a root")?;
        for (doc_ref, doc) in &docs {
            let text = doc[&field].as_str().unwrap_or_default();
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for run in CJK_WORD.find_iter(text) {
                for word in cjk_words(run.as_str()) {
                    *counts.entry(word).or_default() += 1;
                }
            }
            for (word, count) in counts {
                add_word(root, &word, doc_ref, count);
                distinct.insert(word);
            }
        }
    }
    Ok(distinct.len())
}

/// Adds `word` to the character tree under `root` as being `count` times
/// in section `doc_ref`: elasticlunr.js's `InvertedIndex.addToken`.
fn add_word(root: &mut Map<String, Value>, word: &str, doc_ref: &str, count: usize) {
    let mut node = root;
    for c in word.chars() {
        let child = node
            .entry(c.to_string())
            .or_insert_with(|| json!({ "docs": {}, "df": 0 }));
        node = match child.as_object_mut() {
            Some(child) => child,
            None => return,
        };
    }
    // elasticlunr.js: tf = sqrt(count), rounded to three decimals.
    #[allow(clippy::cast_precision_loss)]
    let tf = ((count as f64).sqrt() * 1000.0).floor() / 1000.0;
    let docs = node.entry("docs").or_insert_with(|| json!({}));
    if let Some(docs) = docs.as_object_mut() {
        docs.insert(doc_ref.to_owned(), json!({ "tf": tf }));
        let df = docs.len();
        node.insert("df".to_owned(), json!(df));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_chinese_words_to_the_index_and_keeps_the_quoting() {
        let index = json!({
            "doc_urls": ["a.html#x"],
            "index": {
                "documentStore": { "docs": { "0": { "body": "sticky (粘包) it's 粘包 包", "title": "T" } } },
                "index": { "body": { "root": { "docs": {}, "df": 0 } }, "title": { "root": { "docs": {}, "df": 0 } } }
            }
        });
        let json = serde_json::to_string(&index).unwrap();
        let script = format!(
            "{PREFIX}{}{SUFFIX}",
            json.replace('\\', "\\\\").replace('\'', "\\'")
        );
        let (script, words) = add_to_script(&script).unwrap();
        assert_eq!(words, 2);
        assert!(script.starts_with(QUERY_FIX));
        let quoted = script
            .split_once(PREFIX)
            .unwrap()
            .1
            .strip_suffix(SUFFIX)
            .unwrap();
        let value: Value = serde_json::from_str(&unquote(quoted)).unwrap();
        let node = &value["index"]["index"]["body"]["root"]["粘"]["包"];
        assert_eq!(node["df"], 1);
        assert_eq!(node["docs"]["0"]["tf"], 1.414);
        let alone = &value["index"]["index"]["body"]["root"]["包"];
        assert_eq!(alone["docs"]["0"]["tf"], 1.0);
        assert_eq!(
            value["index"]["documentStore"]["docs"]["0"]["body"],
            "sticky (粘包) it's 粘包 包"
        );
    }

    #[test]
    fn a_chinese_phrase_is_searched_by_its_bigrams() {
        assert_eq!(cjk_words("套接字"), ["套接", "接字"]);
        assert_eq!(cjk_words("包"), ["包"]);
    }
}
