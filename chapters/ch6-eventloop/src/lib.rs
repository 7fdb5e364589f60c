//! Chapter 6: after the article ends: readiness, event loops and async,
//! measured.
//!
//! The article stops at `socketserver`, where each connection has a thread
//! or a process. This crate serves the same upper-casing protocol (chapter
//! 5's: a line in, the line stripped and upper-cased back) in the ways that
//! scale past a thread per client, and measures them all:
//!
//! - [`conn`]: one connection's state between events: line buffer, write
//!   buffer, backpressure;
//! - [`poll_loop`]: readiness from first principles, non-blocking sockets
//!   and `poll(2)`;
//! - [`mio_loop`]: the same loop on `mio` (epoll), done properly;
//! - [`per_core`]: the `mio` loop once per core, on `SO_REUSEPORT`
//!   listeners sharing one port;
//! - [`async_server`]: the same server on tokio;
//! - [`pool`]: a bounded thread pool, the Rust Book's way;
//! - [`signals`]: Ctrl-C and SIGTERM as a readable descriptor;
//! - [`listen`]: the listening socket, its backlog, and the pause an
//!   event loop takes when `accept` runs out of descriptors;
//! - [`app`]: the `loop-server` program, which also runs chapter 5's
//!   thread-per-connection and forking servers.
//!
//! The chapter's benchmark, `loop-bench`, measures them all with the book's
//! load generator and memory readings (`book_bench`). It is a program of
//! the `book-bench` package, which depends on this library, not the other
//! way round.

pub mod app;
pub mod async_server;
pub mod conn;
pub mod listen;
pub mod mio_loop;
pub mod per_core;
pub mod poll_loop;
pub mod pool;
pub mod signals;
