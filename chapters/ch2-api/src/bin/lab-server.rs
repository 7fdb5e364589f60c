//! The socket lab's server: reports each call it makes (accept, recv,
//! sendall, close) and echoes; at the end of the stream it sends a summary.
//!
//! ```text
//! cargo run -p ch2-api --bin lab-server -- --port 0
//! cargo run -p ch2-api --bin lab-server -- --port 0 --backlog 2 --no-accept
//! ```

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use ch2_api::lab::{self, ServerOptions};
use clap::Parser;

/// A server that says what each socket call returned.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// The listen backlog.
    #[arg(long, default_value_t = 5)]
    backlog: i32,
    /// Listen, but never accept: connections wait in the queue.
    #[arg(long)]
    no_accept: bool,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        lab::serve(&ServerOptions {
            addr: SocketAddr::new(args.host, args.port),
            backlog: args.backlog,
            accept: !args.no_accept,
        })
    })
}
