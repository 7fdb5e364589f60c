//! Chapter 1 of *Socket programming in Rust*: socket families and types
//! (article section 1.1).
//!
//! The article names three address families (地址簇) and five socket types
//! and says a sentence about each. This crate turns the sentences into
//! programs you can run and tests that prove what the book says:
//!
//! - [`families`]: the families and types, with their Python, Rust and C names.
//! - [`probe`]: which family × type pairs this machine lets you open, and the
//!   operating system's own reason for each one it refuses.
//! - [`transport`]: the seven combinations that carry data between two
//!   programs, and what tells them apart (connections, message boundaries).
//! - [`address`]: what an address is in each family: an IP address and a
//!   port, a path, or (on Linux) an abstract name.
//! - [`socket_file`]: the file a Unix domain socket leaves behind, and how a
//!   server removes it safely.
//! - [`stop`]: removing that file when the server is stopped with Ctrl-C.
//! - [`datagram`]: how big the next datagram is, and what a too-small buffer
//!   does to it.
//! - [`server`]: one echo server for every transport.
//! - [`client`]: its client, in two modes: one line at a time, or everything
//!   sent before anything is read (to show where message boundaries go).
//! - [`session`]: the client's conversation: the lines it reads and what it
//!   prints back, in either mode.
//! - [`report`]: the lines the programs print.
//!
//! The modules depend downward only; none imports one that imports it back:
//!
//! 1. [`families`], [`transport`], [`datagram`], [`report`], [`stop`],
//!    [`socket_file`]: no other module of the crate (`stop` and
//!    `socket_file` point at each other in their docs, not in their code);
//! 2. [`probe`] (on `families`) and [`address`] (on `transport`);
//! 3. [`server`] and [`client`], on the two layers below;
//! 4. [`session`], on `client` and `report`.
//!
//! The exercises' checkers are kept with the exercises
//! (the chapter's `checks.rs`), and built into the checker, not here.

pub mod address;
pub mod client;
pub mod datagram;
pub mod families;
pub mod probe;
pub mod report;
pub mod server;
pub mod session;
pub mod socket_file;
pub mod stop;
pub mod transport;
