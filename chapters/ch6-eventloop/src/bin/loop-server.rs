//! The upper-casing server, seven ways: `cargo run -p ch6-eventloop --bin loop-server -- --model mio`.

use std::process::ExitCode;

use book_support::cli::run;
use ch5_socketserver::DEFAULT_PORT;
use ch5_socketserver::concurrency::Forking;
use ch6_eventloop::app::{Model, ServerOptions, run_server};
use clap::Parser;

/// Answers each line with the same text, stripped and upper-cased.
#[derive(Parser, Debug)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Where connections are served.
    #[arg(long, value_enum, default_value = "mio")]
    model: Model,
    /// The pool's worker threads: the most clients served at once.
    #[arg(long, default_value_t = 100)]
    workers: usize,
    /// The forking model's cap on children at once (Python's default); the
    /// next client waits in the listen queue until one of them ends.
    #[arg(long, default_value_t = Forking::MAX_CHILDREN)]
    max_children: usize,
    /// mio-cores: the number of event loops (default: one per core).
    #[arg(long)]
    loops: Option<usize>,
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        run_server(ServerOptions {
            host: args.host,
            port: args.port,
            model: args.model,
            workers: args.workers,
            max_children: args.max_children,
            loops: args.loops,
        })
    })
}
