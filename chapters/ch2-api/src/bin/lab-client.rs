//! The socket lab's client: one socket call per line of input.
//!
//! ```text
//! cargo run -p ch2-api --bin lab-client -- --port PORT
//! send hello
//! recv 3
//! shutdown
//! recv 100
//! ```

use std::process::ExitCode;
use std::time::Duration;

use ch2_api::lab::{self, Client};
use clap::Parser;

/// Makes one socket call per line read from stdin and prints its result.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The server's name or address (a name is resolved; every address is tried).
    #[arg(long, default_value = "localhost")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// Seconds to wait for each connection attempt.
    #[arg(long, default_value_t = 5.0)]
    connect_timeout: f64,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let timeout = Duration::try_from_secs_f64(args.connect_timeout)
            .map_err(|e| anyhow::anyhow!("--connect-timeout: {e}"))?;
        let mut client = Client::connect(&args.host, args.port, timeout)?;
        lab::run_client(&mut client, std::io::stdin().lock())?;
        Ok(())
    })
}
