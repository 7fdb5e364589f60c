//! The chapter's client: `cargo run -p ch4-ftp --bin ftp-client`, then
//! commands such as `get NAME` on stdin.

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use book_support::cli::run;
use ch4_ftp::client::{Options, run_commands};
use ch4_ftp::connection::Connection;
use ch4_ftp::digest::HashKind;
use ch4_ftp::progress::{Progress, Quiet};
use ch4_ftp::{DEFAULT_PORT, Protocol};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

/// Downloads and uploads files; reads commands from stdin, one a line:
/// `get NAME`, `put PATH`, `ls [DIR]`, `stat NAME`.
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
    /// The digest that checks each download: md5 (the article's) or
    /// blake3 (framed protocol only).
    #[arg(long, value_enum, default_value = "md5")]
    hash: HashKind,
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        if args.protocol == Protocol::Article && args.hash != HashKind::Md5 {
            anyhow::bail!("the article's protocol checks downloads with md5 only");
        }
        let timeout = Duration::from_secs(args.timeout.max(1));
        let options = Options {
            dir: args.dir,
            force: args.force,
            protocol: args.protocol,
            hash: args.hash,
            prompt: io::stdin().is_terminal(),
            timeout,
        };
        // A bar only where a person watches: never in a pipe or a test.
        let mut progress: Box<dyn Progress> = if !args.no_progress && io::stderr().is_terminal() {
            Box::new(Bar(None))
        } else {
            Box::new(Quiet)
        };
        let mut conn = Connection::open(&args.host, args.port, timeout)?;
        run_commands(
            &mut conn,
            io::stdin().lock(),
            &mut io::stdout(),
            &mut io::stderr(),
            progress.as_mut(),
            &options,
        )
    })
}

/// A progress bar on stderr with the rate and the time left.
struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn start(&mut self, name: &str) {
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = ProgressBar::new(0)
            .with_style(style)
            .with_message(name.to_string());
        self.0 = Some(bar);
    }

    fn update(&mut self, done: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_position(done);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
