//! The book's Markdown sources, read once for the checks to share.

use std::fs;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};
use mdbook_driver::config::Config;

use crate::Problem;

/// The workspace root, the book's source folder and every page in it.
#[derive(Debug)]
pub(crate) struct Sources {
    /// The workspace root, against which problems name their files.
    pub(crate) root: PathBuf,
    /// The folder `book.toml` names as `src` (here `book/`).
    pub(crate) src: PathBuf,
    /// Every `.md` file under `src`, SUMMARY.md included, in path order.
    pub(crate) pages: Vec<Page>,
}

/// One Markdown file of the book.
#[derive(Debug)]
pub(crate) struct Page {
    /// The file's path: `src` joined with its place in the book.
    pub(crate) path: PathBuf,
    /// What it says.
    pub(crate) text: String,
}

impl Page {
    /// The folder this page's relative paths start from.
    pub(crate) fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
}

impl Sources {
    /// Reads `book.toml` at `root` for the source folder, then every page in it.
    pub(crate) fn read(root: &Path) -> Result<Self> {
        let src = source_dir(root)?;
        let pages = markdown_files(&src)?
            .into_iter()
            .map(|path| {
                let text = fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok(Page { path, text })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            root: root.to_path_buf(),
            src,
            pages,
        })
    }
}

/// Runs a check on the sources of the book at `root`.
///
/// A book that cannot even be read is one problem, reported like the others,
/// so every check keeps its simple signature `fn(root) -> Vec<Problem>`.
pub(crate) fn check_with(
    root: &Path,
    check: impl FnOnce(&Sources) -> Vec<Problem>,
) -> Vec<Problem> {
    match Sources::read(root) {
        Ok(sources) => check(&sources),
        Err(err) => vec![Problem::in_file(
            root,
            &root.join("book.toml"),
            format!("cannot read the book: {err:#}"),
        )],
    }
}

/// The book's source folder, as mdBook reads it from `book.toml`.
pub(crate) fn source_dir(root: &Path) -> Result<PathBuf> {
    let config = Config::from_disk(root.join("book.toml"))
        .with_context(|| format!("cannot read {}", root.join("book.toml").display()))?;
    Ok(root.join(config.book.src))
}

/// Every `.md` file under `dir`, sorted; hidden files and folders are skipped.
fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        let hidden = path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            files.extend(markdown_files(&path)?);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `path` with its `.` and `..` resolved without asking the file system.
///
/// Includes and links are written relative to a page (`../../chapters/...`);
/// comparing where they lead needs one spelling per place, and lexical
/// resolution also works for files that do not exist.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_lexically() {
        assert_eq!(
            normalize(Path::new("/w/book/ch1/../../chapters/./ch1/src/lib.rs")),
            PathBuf::from("/w/chapters/ch1/src/lib.rs")
        );
    }
}
