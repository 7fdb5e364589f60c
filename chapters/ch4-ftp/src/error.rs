//! The one error type the layers share.
//!
//! Most failures end a session: a broken connection, a server that breaks
//! its protocol. A few end only the command that met them, and the client
//! goes on with the next: those are a [`Rejected`]. The wire formats make
//! one from a server's error message, the download from a file that exists
//! or a digest that does not match, and the client's command loop tells
//! the two kinds apart by downcasting.

use std::fmt;

/// A command that failed while the connection stayed usable: the server
/// refused, a file exists, a digest did not match.
#[derive(Debug)]
pub struct Rejected(pub String);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Rejected {}
