//! What the server's threads share: the served folder, the protocol, how
//! file bytes are sent, and the digests computed so far.
//!
//! Both protocols' halves ([`crate::article_server`],
//! [`crate::framed_server`]) serve one client with a `&Server`; the accept
//! loop ([`crate::server`]) hands each thread an `Arc` of it.

use std::net::TcpStream;

use crate::Protocol;
use crate::digest::DigestCache;
use crate::safety::Root;
use crate::send::SendMethod;

/// What every connection's thread shares.
#[derive(Debug)]
pub struct Server {
    /// The served folder.
    pub root: Root,
    /// The protocol.
    pub protocol: Protocol,
    /// How file bytes are sent.
    pub method: SendMethod,
    /// Digests already computed.
    pub digests: DigestCache,
    /// At most this many clients at once; more are turned away at once, so
    /// that idle clients cannot take every thread and descriptor.
    pub max_clients: usize,
}

/// The default of [`Server::max_clients`].
pub const MAX_CLIENTS: usize = 64;

impl Server {
    /// A server for `root`.
    pub fn new(root: Root, protocol: Protocol, method: SendMethod) -> Server {
        Server {
            root,
            protocol,
            method,
            digests: DigestCache::default(),
            max_clients: MAX_CLIENTS,
        }
    }

    /// Logs one line about one client on stderr.
    pub fn log(&self, who: &str, what: &str) {
        eprintln!("{who} {what}");
    }
}

/// The peer's address as text, for the log.
pub fn peer(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string())
}
