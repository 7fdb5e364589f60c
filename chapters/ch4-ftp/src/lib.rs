//! Chapter 4: a simple ftp, file transfer with md5 (article section 1.4).
//!
//! The article downloads a file in four steps: the client sends `get NAME`,
//! the server answers with the size in decimal, waits for the client's
//! acknowledgement, sends the bytes, then sends the md5 digest in hex. The
//! client must read *exactly* the announced number of bytes, or it swallows
//! the digest that follows them (粘包, sticky packets).
//!
//! This crate builds that protocol byte for byte, and beside it a framed one
//! with typed replies, resumable downloads and uploads. One module per idea,
//! in five layers. Each module uses only the crate root and the modules
//! listed before it here, so the crate reads top-down and no module uses
//! one that uses it back:
//!
//! 1. shared types: this file ([`Protocol`] and the constants) and
//!    [`error`] (a command that failed while the connection stayed usable);
//! 2. wire formats, encode and parse only:
//!    - [`article`]: the article's messages: the command, the size header;
//!    - [`framed`]: frames, requests and replies;
//! 3. files and downloads:
//!    - [`exact`]: receive exactly N bytes, hashing them as they arrive;
//!    - [`pipeline`]: the same, with hashing on a second thread, so that
//!      receiving and hashing overlap;
//!    - [`digest`]: md5 of a file in constant memory, and a cache of
//!      digests so the server does not hash an unchanged file twice;
//!    - [`beneath`]: open a name under a folder without ever leaving it;
//!    - [`incoming`]: an upload that gets its name only when it is complete;
//!    - [`safety`]: the rules for a requested name, and the served folder
//!      (uses `beneath`, `incoming`);
//!    - [`send`]: send a file's bytes, with `sendfile` (zero copy) or a loop;
//!    - [`download`]: a download that lands under its final name only when
//!      its md5 matches, and that can resume (uses `digest`, `pipeline`);
//! 4. the server side:
//!    - [`state`]: what every connection's thread shares ([`state::Server`]);
//!    - [`article_server`]: the article's protocol, the server's half;
//!    - [`framed_server`]: the framed protocol, the server's half;
//!    - [`server`]: the accept loop, a thread per client, either protocol;
//! 5. the client side:
//!    - [`progress`]: how a transfer in progress is shown (the binary
//!      decides: a bar on a terminal, nothing elsewhere);
//!    - [`connection`]: the client's socket, buffered for replies;
//!    - [`article_client`]: the article's protocol, the client's half;
//!    - [`framed_client`]: the framed protocol's commands;
//!    - [`client`]: the command loop: a line of input, a command.
//!
//! The server side and the client side never use each other. The
//! exercises' checkers are kept with the exercises (the chapter's `checks.rs`)
//! and built into the checker, not here.

// 1. Shared types.
pub mod error;

// 2. Wire formats.
pub mod article;
pub mod framed;

// 3. Files and downloads.
pub mod beneath;
pub mod digest;
pub mod download;
pub mod exact;
pub mod incoming;
pub mod pipeline;
pub mod safety;
pub mod send;

// 4. The server side.
pub mod article_server;
pub mod framed_server;
pub mod server;
pub mod state;

// 5. The client side.
pub mod article_client;
pub mod client;
pub mod connection;
pub mod framed_client;
pub mod progress;

// Beside the layers: the exercises' checkers.

/// The article's port for its ftp server.
pub const DEFAULT_PORT: u16 = 1999;

/// The largest file size a client believes. A size header above it is a
/// broken or hostile server, not a file: one tebibyte.
pub const MAX_FILE_SIZE: u64 = 1 << 40;

/// The buffer size of every copy loop: big enough that system calls are
/// few, small enough that memory stays constant whatever the file size.
pub const CHUNK: usize = 256 * 1024;

/// Which protocol a server or a client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// The article's: `get NAME`, size, `OK`, bytes, digest.
    Article,
    /// Frames with typed replies.
    #[default]
    Framed,
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "article" => Ok(Protocol::Article),
            "framed" => Ok(Protocol::Framed),
            _ => Err(format!("unknown protocol `{s}` (article, framed)")),
        }
    }
}
