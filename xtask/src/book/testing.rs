//! Small books in temporary folders, for the checks' own tests.

use std::fs;

use tempfile::TempDir;

/// A workspace-like folder with a `book.toml` (`src = "book"`,
/// `build-dir = "target/book"`) and the given files, paths relative to it.
pub(crate) fn temp_book(files: &[(&str, &str)]) -> TempDir {
    let root = tempfile::tempdir().unwrap();
    let config =
        "[book]\ntitle = \"Test\"\nsrc = \"book\"\n\n[build]\nbuild-dir = \"target/book\"\n";
    fs::write(root.path().join("book.toml"), config).unwrap();
    for (path, text) in files {
        let path = root.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    root
}
