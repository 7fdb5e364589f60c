//! The client: `cargo run -p ch5-socketserver --bin upper-client`, then type.
//!
//! Each line of stdin is one message; each answer is printed on a line.
//! `--protocol article` talks to the article's Python server the way the
//! article's clients do: no newline, one read for the answer.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use book_support::cli::run;
use ch5_socketserver::upper::Protocol;
use ch5_socketserver::{DEFAULT_PORT, client};
use clap::Parser;

/// Sends each line of stdin to the upper-casing server and prints the answers.
#[derive(Parser, Debug)]
struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Talk UDP instead of TCP.
    #[arg(long, conflicts_with_all = ["unix", "unix_datagram"])]
    udp: bool,
    /// Talk to a Unix stream socket at this path.
    #[arg(long, value_name = "PATH", conflicts_with = "unix_datagram")]
    unix: Option<PathBuf>,
    /// Talk to a Unix datagram socket at this path.
    #[arg(long, value_name = "PATH")]
    unix_datagram: Option<PathBuf>,
    /// Where a message on a stream ends: `lines` sends a newline after each
    /// and reads the answer to its known length; `article` sends none and
    /// takes what one read of up to 1024 bytes brings. A datagram is one
    /// message either way.
    #[arg(long, value_enum, default_value_t = Protocol::Lines)]
    protocol: Protocol,
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let input = io::stdin().lock();
        let mut output = io::stdout().lock();
        match (&args.unix, &args.unix_datagram) {
            (Some(path), _) => client::unix(path, args.protocol, input, &mut output),
            (_, Some(path)) => client::unix_datagram(path, input, &mut output),
            _ if args.udp => client::udp(&args.host, args.port, input, &mut output),
            _ => client::tcp(&args.host, args.port, args.protocol, input, &mut output),
        }
    })
}
