//! The chapter's client: `cargo run -p ch4-ftp --bin ftp-client`, then
//! commands such as `get NAME` on stdin.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use book_support::cli::run;
use ch4_ftp::DEFAULT_PORT;
use ch4_ftp::client::{Connection, Options, run_commands};
use ch4_ftp::server::Protocol;
use clap::Parser;

/// Downloads and uploads files; reads commands from stdin, one a line:
/// get NAME, put PATH, ls [DIR], stat NAME.
#[derive(Parser, Debug)]
struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The server's port.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// `article` (get only) or `framed`.
    #[arg(long, default_value = "framed")]
    protocol: Protocol,
    /// Where downloads are saved.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Overwrite a file that already exists.
    #[arg(long)]
    force: bool,
    /// Seconds to wait for the server before giving up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Never draw a progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let timeout = Duration::from_secs(args.timeout.max(1));
        let options = Options {
            dir: args.dir,
            force: args.force,
            protocol: args.protocol,
            progress: !args.no_progress && io::stderr().is_terminal(),
            timeout,
        };
        let mut conn = Connection::open(&args.host, args.port, timeout)?;
        run_commands(&mut conn, io::stdin().lock(), &options)
    })
}
