//! Chapter 3's tests, one test program for the whole package: its
//! tests run side by side (cargo runs test programs one after the
//! other), and the package links one program, not one a file. Each
//! file of `tests/` is a module; `cargo test -p PACKAGE NAME` runs the
//! tests whose path contains NAME, e.g. a file's name.

mod article_protocol;
mod common;
mod deadlines;
mod exercises;
mod framed_protocol;
mod interop;
mod limits;
mod secret;
mod sticky_demo;
mod transcripts;
