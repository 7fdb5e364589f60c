//! Chapter 4: a simple ftp, file transfer with md5 (article section 1.4).
//!
//! The article downloads a file in four steps: the client sends `get NAME`,
//! the server answers with the size in decimal, waits for the client's
//! acknowledgement, sends the bytes, then sends the md5 digest in hex. The
//! client must read *exactly* the announced number of bytes, or it swallows
//! the digest that follows them (粘包, sticky packets).
//!
//! This crate builds that protocol byte for byte, and beside it a framed one
//! with typed replies, resumable downloads and uploads. One module per idea:
//!
//! - [`exact`]: receive exactly N bytes, hashing them as they arrive;
//! - [`pipeline`]: the same, with hashing and writing on a second thread,
//!   so that receiving and hashing overlap;
//! - [`digest`]: md5 of a file in constant memory, and a cache of digests so
//!   the server does not hash an unchanged file twice;
//! - [`safety`]: the rules for a requested name, and the served folder;
//! - [`beneath`]: open a name under a folder without ever leaving it;
//! - [`incoming`]: an upload that gets its name only when it is complete;
//! - [`send`]: send a file's bytes, with `sendfile` (zero copy) or a loop;
//! - [`article`]: the article's protocol, server and client side;
//! - [`framed`]: the framed protocol: frames, requests, replies;
//! - [`download`]: a download that lands under its final name only when its
//!   md5 matches, and that can resume;
//! - [`server`] and [`client`]: the two programs' bodies;
//! - [`checks`]: the exercises' checkers.

pub mod article;
pub mod beneath;
pub mod checks;
pub mod client;
pub mod digest;
pub mod download;
pub mod exact;
pub mod framed;
pub mod incoming;
pub mod pipeline;
pub mod safety;
pub mod send;
pub mod server;

/// The article's port for its ftp server.
pub const DEFAULT_PORT: u16 = 1999;

/// The largest file size a client believes. A size header above it is a
/// broken or hostile server, not a file: one tebibyte.
pub const MAX_FILE_SIZE: u64 = 1 << 40;

/// The buffer size of every copy loop: big enough that system calls are
/// few, small enough that memory stays constant whatever the file size.
pub const CHUNK: usize = 256 * 1024;
