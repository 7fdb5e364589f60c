//! The console output the book shows for this chapter is what its programs
//! print: `book/ch1/transcripts.toml` says what to run, and every block it
//! makes must equal the committed `book/ch1/transcripts/BLOCK.txt`.
//! `cargo xtask transcripts ch1` (or `SNAPSHOTS=overwrite` on this test)
//! rewrites them.
//!
//! The probe's transcripts show what root sees: run as another user they
//! are skipped, and say `SKIPPED` on stderr (CI runs this test as root too).

#[test]
fn the_book_shows_what_the_programs_print() {
    // The folder cargo built this chapter's programs in.
    book_transcript::assert_chapter("ch1", env!("CARGO_BIN_EXE_probe"));
}
