//! Chapter 2's tests, one test program for the whole package: its
//! tests run side by side (cargo runs test programs one after the
//! other), and the package links one program, not one a file. Each
//! file of `tests/` is a module; `cargo test -p PACKAGE NAME` runs the
//! tests whose path contains NAME, e.g. a file's name.

mod calls;
mod common;
mod demo;
mod exercises;
mod lab;
mod python_calls;
mod resolve;
mod sendall_mode;
mod transcripts;
