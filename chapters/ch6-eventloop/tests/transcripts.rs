//! The console output the book shows for this chapter is what its programs
//! print: `book/ch6/transcripts.toml` says what to run, and every block it
//! makes must equal the committed `book/ch6/transcripts/BLOCK.txt`.
//! `cargo xtask transcripts ch6` (or `SNAPSHOTS=overwrite` on this test)
//! rewrites them.
//!
//! The spec also runs `upper-client` of ch5-socketserver. `cargo test
//! --workspace` builds every package's binaries into the same folder before
//! any test runs; `cargo test -p ch6-eventloop` alone does not, and this
//! test then fails saying which `cargo build` makes it.

#[test]
fn the_book_shows_what_the_programs_print() {
    // The folder cargo built this chapter's programs in.
    book_transcript::assert_chapter("ch6", env!("CARGO_BIN_EXE_loop-server"));
}
