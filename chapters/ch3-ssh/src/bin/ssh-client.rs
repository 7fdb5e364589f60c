//! The chapter's client: one command a line from stdin.
//!
//! ```text
//! cargo run -p ch3-ssh --bin ssh-client -- --port 9999
//! cargo run -p ch3-ssh --bin ssh-client -- --protocol framed
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use ch3_ssh::client::{Config, Protocol, explain, run_session};
use clap::Parser;

/// Sends each line of stdin to an ssh-server as a command and prints what
/// comes back.
#[derive(Debug, Parser)]
#[command(name = "ssh-client", version)]
struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = ch3_ssh::DEFAULT_PORT)]
    port: u16,
    /// The protocol: the article's, or length-prefixed frames.
    #[arg(long, value_enum, default_value_t = Protocol::Article)]
    protocol: Protocol,
    /// The shared secret to present (framed protocol). Every user of the
    /// machine sees it in `ps`: prefer --secret-file.
    #[arg(long, conflicts_with = "secret_file")]
    secret: Option<String>,
    /// Present the secret in the first line of this file (framed protocol).
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// Refuse an announced result larger than this (article protocol).
    #[arg(long, default_value_t = ch3_ssh::article::DEFAULT_MAX_RESULT)]
    max_result: u64,
    /// Give up when the server sends nothing for this many seconds.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let timeout = Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .context("--timeout must be a positive number of seconds")?;
        let secret = match (args.secret, args.secret_file) {
            (None, Some(path)) => Some(ch3_ssh::secret::read_secret_file(&path)?),
            (secret, _) => secret,
        };
        let config = Config {
            protocol: args.protocol,
            secret,
            max_result: args.max_result,
            timeout,
        };
        let addr = format!("{}:{}", args.host, args.port);
        let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
        run_session(
            &addr,
            &config,
            &mut stdin.lock(),
            &mut stdout.lock(),
            &mut stderr.lock(),
        )
        .map_err(|err| explain(err, timeout))
    })
}
