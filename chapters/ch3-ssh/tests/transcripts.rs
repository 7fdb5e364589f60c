//! The console output the book shows for this chapter is what its programs
//! print: `book/ch3/transcripts.toml` says what to run, and every block it
//! makes must equal the committed `book/ch3/transcripts/BLOCK.txt`.
//! `cargo xtask transcripts ch3` (or `SNAPSHOTS=overwrite` on this test)
//! rewrites them.

#[test]
fn the_book_shows_what_the_programs_print() {
    // The folder cargo built this chapter's programs in.
    book_transcript::assert_chapter("ch3", env!("CARGO_BIN_EXE_ssh-server"));
}
