//! The checkers of every chapter's exercises.
//!
//! Each chapter keeps its checkers beside its exercises, in
//! `chapters/chN-.../checks.rs`, beside `exercises/`, where a reader of the exercises
//! finds them; they are not part of the chapter's library. They are built
//! here, into the checker, and each chapter's own tests build them too.

#[path = "../../chapters/ch1-families/checks.rs"]
pub mod ch1;
#[path = "../../chapters/ch2-api/checks.rs"]
pub mod ch2;
#[path = "../../chapters/ch3-ssh/checks.rs"]
pub mod ch3;
#[path = "../../chapters/ch4-ftp/checks.rs"]
pub mod ch4;
#[path = "../../chapters/ch5-socketserver/checks.rs"]
pub mod ch5;
#[path = "../../chapters/ch6-eventloop/checks.rs"]
pub mod ch6;
