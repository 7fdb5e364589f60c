//! The client: one command a line from stdin, in either protocol.

use std::io::{self, BufRead, Write};
use std::time::Duration;

use anyhow::Result;

use crate::{article, framed};

/// Which protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// The article's: decimal size, acknowledgement, result (stdout only).
    Article,
    /// Length-prefixed frames: streamed stdout and stderr, exit status.
    Framed,
}

/// How the client runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The protocol to speak.
    pub protocol: Protocol,
    /// The shared secret to present (framed protocol only).
    pub secret: Option<String>,
    /// The largest result accepted in the article's protocol.
    pub max_result: u64,
    /// How long to wait for any one read from the server.
    pub timeout: Duration,
}

/// Connects to `addr` and runs commands from `input` until it ends.
pub fn run_session(
    addr: &str,
    config: &Config,
    input: &mut impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<()> {
    let mut stream = article::connect(addr)?;
    // Every wait for the server is bounded; the error says which wait failed.
    stream.set_read_timeout(Some(config.timeout))?;
    match config.protocol {
        Protocol::Article => {
            anyhow::ensure!(
                config.secret.is_none(),
                "the article's protocol has no place for a secret; use --protocol framed"
            );
            article::interact(&mut stream, input, out, config.max_result)
        }
        Protocol::Framed => {
            stream.set_nodelay(true)?;
            if let Some(secret) = &config.secret {
                framed::authenticate(&mut stream, secret)?;
            }
            framed::interact(&mut stream, input, out, err)
        }
    }
}

/// Makes an error from a read that timed out say so in words.
pub fn explain(err: anyhow::Error, timeout: Duration) -> anyhow::Error {
    let timed_out = err.chain().any(|cause| {
        cause.downcast_ref::<io::Error>().is_some_and(|e| {
            matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            )
        })
    });
    if timed_out {
        err.context(format!("no answer from the server within {timeout:?}"))
    } else {
        err
    }
}
