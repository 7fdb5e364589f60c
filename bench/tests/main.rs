//! The benchmarks's tests, one test program for the whole package: its
//! tests run side by side (cargo runs test programs one after the
//! other), and the package links one program, not one a file. Each
//! file of `tests/` is a module; `cargo test -p PACKAGE NAME` runs the
//! tests whose path contains NAME, e.g. a file's name.

mod api_bench;
mod ftp_bench;
mod loop_bench;
mod ssh_bench;
mod upper_bench;
