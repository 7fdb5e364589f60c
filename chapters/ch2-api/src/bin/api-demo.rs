//! One demonstration per call of the socket API, each printing what really
//! happened on this machine.
//!
//! ```text
//! cargo run -p ch2-api --bin api-demo -- recv
//! cargo run -p ch2-api --bin api-demo -- all
//! ```

use std::process::ExitCode;

use ch2_api::{demo, say};
use clap::Parser;

/// Shows each call of the socket API at work, on loopback.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The demonstration: socket, socketpair, getaddrinfo, create-connection,
    /// bind, listen, accept, connect, getpeername, recv, close, send, udp,
    /// setblocking, settimeout, fileno, sendfile; or `all`.
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(
        demo::NAMES.iter().copied().chain(["all"])
    ))]
    call: String,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        if args.call == "all" {
            for name in demo::NAMES {
                say(format!("== {name}"));
                demo::run(name)?;
            }
            Ok(())
        } else {
            demo::run(&args.call)
        }
    })
}
