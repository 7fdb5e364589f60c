//! Chapter 5: a socketserver for Rust (article section 2).
//!
//! Python's `socketserver` splits a server into three parts that vary on
//! their own: the transport (`TCPServer`, `UDPServer`, `UnixStreamServer`,
//! `UnixDatagramServer`), where a request runs (`ThreadingMixIn`,
//! `ForkingMixIn`, or nowhere special), and what is done with it (a
//! `BaseRequestHandler` subclass). It glues them with inheritance. This
//! crate keeps the three parts and glues them with generics:
//! `Server<T: Transport, H: Handler<T::Request>, M: ConcurrencyModel>`.
//!
//! - [`transport`]: the four transports, their socket options and backlog;
//! - [`request`]: what a handler gets: a buffered connection or a datagram;
//! - [`handler`]: the handler trait and its life cycle (setup, handle,
//!   finish), with errors and panics reported, never fatal;
//! - [`concurrency`]: synchronous, a thread per request, a process per request;
//! - [`shutdown`]: stopping `serve_forever` from another thread or a signal;
//! - [`server`]: the loop: `serve_forever`, `handle_request`;
//! - [`upper`]: the article's upper-casing handler and the client's side,
//!   in the lines protocol and in the article's own ([`upper::article`]);
//! - [`client`]: the `upper-client` program's body;
//! - [`app`]: the `upper-server` program's body.
//!
//! The chapter's benchmark, `upper-bench`, measures these servers with the
//! book's load generator (`book_bench::load`). It is a program of the
//! `book-bench` package, which depends on this library, not the other way
//! round.

pub mod app;
pub mod client;
pub mod concurrency;
pub mod handler;
pub mod request;
pub mod server;
pub mod shutdown;
pub mod transport;
pub mod upper;

/// The article's port for its socketserver example.
pub const DEFAULT_PORT: u16 = 9999;
