//! One demonstration per call of the socket API, each printing what really
//! happened on this machine.
//!
//! ```text
//! cargo run -p ch2-api --bin api-demo -- recv
//! cargo run -p ch2-api --bin api-demo -- all
//! ```

use std::process::ExitCode;

use ch2_api::demo::Demo;
use clap::Parser;

/// Shows each call of the socket API at work, on loopback.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The demonstration to run.
    #[arg(value_enum)]
    call: Demo,
}

fn main() -> ExitCode {
    book_support::cli::run(|| Args::parse().call.run())
}
