//! The echo client: reads lines from stdin, sends each, prints the echo.
//!
//! ```text
//! cargo run -p ch1-families --bin echo-client                          # TCP, 127.0.0.1:9999
//! printf 'one\ntwo\nthree\n' | cargo run -p ch1-families --bin echo-client -- --send-all-first
//! cargo run -p ch1-families --bin echo-client -- --transport unix-dgram --path /tmp/echo.sock
//! ```

use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use ch1_families::address::{DEFAULT_HOST, DEFAULT_PORT, Endpoint};
use ch1_families::client::{self, ClientOptions, OwnAddress};
use ch1_families::server::{DEFAULT_BUFFER, parse_buffer_size};
use ch1_families::transport::Transport;
use ch1_families::{session, stop};
use clap::Parser;

/// Sends each line of stdin to an echo server and prints what comes back.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The family and type to use.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// The server's IP address (tcp, udp).
    #[arg(long, default_value = DEFAULT_HOST)]
    host: String,
    /// The server's port (tcp, udp).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The server's socket path (unix-*), or @name (Linux).
    #[arg(long)]
    path: Option<String>,
    /// unix-dgram: bind our own socket to this path (or @name), so the
    /// server can reply. By default Linux picks an abstract name.
    #[arg(long, conflicts_with = "unbound")]
    bind: Option<String>,
    /// unix-dgram: do not bind our socket at all, and see no reply come.
    #[arg(long)]
    unbound: bool,
    /// The size of each read, in bytes. A datagram bigger than this is cut.
    #[arg(long, default_value_t = DEFAULT_BUFFER, value_parser = parse_buffer_size)]
    buffer: usize,
    /// How long to wait for the server, in seconds.
    #[arg(long, default_value = "5", value_parser = parse_seconds)]
    timeout: Duration,
    /// Send every line first, then read: shows what each read returns.
    #[arg(long)]
    send_all_first: bool,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(format!("`{text}`: give a positive number of seconds")),
    }
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let stop = stop::block_stop_signals().context("cannot block the stop signals")?;
        let endpoint =
            Endpoint::from_options(args.transport, &args.host, args.port, args.path.as_deref())?;
        let own_address =
            OwnAddress::from_options(args.transport, args.bind.as_deref(), args.unbound)?;
        let client = client::connect(&ClientOptions {
            transport: args.transport,
            endpoint,
            own_address,
            buffer: args.buffer,
            timeout: args.timeout,
        })?;
        let socket_file = client.socket_file().map(|f| f.handle());
        stop.on_stop(move || {
            if let Some(file) = socket_file {
                file.remove();
            }
        })
        .context("cannot start the thread that waits for Ctrl-C")?;

        let mut input = io::stdin().lock();
        if args.send_all_first {
            session::send_all_first(&client, &mut input, &mut io::stdout())
        } else {
            let prompt = input.is_terminal();
            session::one_line_at_a_time(
                &client,
                &mut input,
                &mut io::stdout(),
                &mut io::stderr(),
                prompt,
            )
        }
    })
}
