//! The chapter's server: runs the commands its clients send.
//!
//! ```text
//! cargo run -p ch3-ssh --bin ssh-server -- --port 9999
//! ```

use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ch3_ssh::exec::{Launch, Limits};
use ch3_ssh::secret::{self, SECRET_ENV};
use ch3_ssh::server::{Config, serve_forever};
use clap::Parser;

/// A remote command server. Anyone who can connect can run commands as the
/// user running it: keep it on loopback.
#[derive(Debug, Parser)]
#[command(name = "ssh-server", version)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// The port (0: let the system choose).
    #[arg(long, default_value_t = ch3_ssh::DEFAULT_PORT)]
    port: u16,
    /// Allow --host to be an address other than loopback. Anyone who can
    /// reach it runs commands as you: never without a secret, never on an
    /// untrusted network.
    #[arg(long)]
    allow_remote: bool,
    /// A secret every client must present first (framed protocol only;
    /// the article's protocol is then refused). Every user of the machine
    /// sees it in `ps`: prefer --secret-file, or the environment variable
    /// SSH_SERVER_SECRET.
    #[arg(long, conflicts_with = "secret_file")]
    secret: Option<String>,
    /// Read the secret from the first line of this file.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// With a secret: drop a client that has not presented it this many
    /// seconds after connecting.
    #[arg(long, default_value_t = Config::default().login_timeout.as_secs_f64())]
    login_timeout: f64,
    /// Drop a client that sends no command for this many seconds.
    #[arg(long, default_value_t = Config::default().idle_timeout.as_secs_f64())]
    idle_timeout: f64,
    /// Wait this many seconds before answering a wrong secret.
    #[arg(long, default_value_t = Config::default().wrong_secret_delay.as_secs_f64())]
    wrong_secret_delay: f64,
    /// Kill a command still running after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Kill a command once it has written this many bytes.
    #[arg(long, default_value_t = Limits::default().max_output)]
    max_output: u64,
    /// Run commands without a shell: split into words, run the first.
    #[arg(long)]
    no_shell: bool,
    /// Article protocol: drop a client that has not acknowledged a result's
    /// size after this many seconds (the result waits in memory meanwhile).
    #[arg(long, default_value_t = 10.0)]
    ack_timeout: f64,
    /// Article protocol: kill a command once it has written this many bytes
    /// (its whole result waits in memory before it is sent).
    #[arg(long, default_value_t = ch3_ssh::article::MAX_RESULT_HELD)]
    article_max_output: u64,
    /// Turn away clients beyond this many at once.
    #[arg(long, default_value_t = Config::default().max_clients)]
    max_clients: usize,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let secret = secret::choose(
            args.secret,
            args.secret_file.as_deref(),
            std::env::var_os(SECRET_ENV),
        )?;
        if !args.host.is_loopback() {
            if !args.allow_remote {
                bail!(
                    "refusing to listen on {}: this server runs any command it is sent; \
                     use a loopback address, or add --allow-remote if you really mean it",
                    args.host
                );
            }
            eprintln!(
                "warning: listening on {}: anyone who can reach this address can run commands as you{}",
                args.host,
                if secret.is_some() {
                    ""
                } else {
                    ", and there is no secret"
                }
            );
        }
        let time_limit = seconds(args.time_limit, "--time-limit")?;
        let ack_timeout = seconds(args.ack_timeout, "--ack-timeout")?;
        let login_timeout = seconds(args.login_timeout, "--login-timeout")?;
        let idle_timeout = seconds(args.idle_timeout, "--idle-timeout")?;
        let wrong_secret_delay = Duration::try_from_secs_f64(args.wrong_secret_delay)
            .ok()
            .context("--wrong-secret-delay must be a number of seconds, 0 or more")?;
        let config = Config {
            limits: Limits {
                time_limit,
                max_output: args.max_output,
            },
            launch: if args.no_shell {
                Launch::Argv
            } else {
                Launch::Shell
            },
            secret,
            login_timeout,
            idle_timeout,
            wrong_secret_delay,
            max_clients: args.max_clients,
            ack_timeout,
            article_max_output: args.article_max_output,
            quiet: false,
        };
        let listener = TcpListener::bind((args.host, args.port))
            .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
        book_support::cli::announce(listener.local_addr()?);
        serve_forever(listener, config).context("the server stopped")
    })
}

/// A positive number of seconds given to `flag`, as a duration.
fn seconds(value: f64, flag: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|t| !t.is_zero())
        .with_context(|| format!("{flag} must be a positive number of seconds"))
}
