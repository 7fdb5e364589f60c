//! Chapter 3: a simple ssh, remote commands over TCP (article section 1.3).
//!
//! A client sends a command line; the server runs it and sends back what it
//! printed. The chapter builds this twice:
//!
//! - [`article`]: the article's protocol byte for byte (a decimal size, the
//!   client's `OK`, the result), so the article's Python programs and ours
//!   talk to each other.
//! - [`frame`] and [`framed`]: length-prefixed frames, which need no
//!   acknowledgement and carry stdout, stderr and the exit status, streamed
//!   while the command runs.
//!
//! Around them: [`sticky`] shows why the article needs its acknowledgement
//! (TCP keeps no message boundaries, 粘包), [`exec`] runs a command with the
//! defences a server that runs commands needs (time limit, output cap,
//! process groups, no surprise shell), [`deadline`] bounds how long a
//! client may take to send something, [`secret`] reads and compares the
//! shared secret, [`server`] serves many clients at once, [`client`] reads
//! commands from stdin. (The exercises' checkers are kept with the
//! exercises, in the chapter's `checks.rs`, and built into the checker.)
//!
//! The modules depend downward only, none on one that uses it back:
//!
//! 1. [`deadline`] and [`frame`]: no other module of the crate;
//! 2. [`article`] (on `deadline`), [`secret`] (on `frame`);
//! 3. [`framed`] (on `article`, `frame`), [`exec`] (on `secret`), [`sticky`]
//!    (on `article`);
//! 4. [`server`] and [`client`], on the layers below; neither uses the other.

pub mod article;
pub mod client;
pub mod deadline;
pub mod exec;
pub mod frame;
pub mod framed;
pub mod secret;
pub mod server;
pub mod sticky;

/// The article's port.
pub const DEFAULT_PORT: u16 = 9999;
