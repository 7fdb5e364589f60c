//! The echo client: reads lines from stdin, sends each, prints the echo.
//!
//! ```text
//! cargo run -p ch1-families --bin echo-client                          # TCP, 127.0.0.1:9999
//! printf 'one\ntwo\nthree\n' | cargo run -p ch1-families --bin echo-client -- --send-all-first
//! cargo run -p ch1-families --bin echo-client -- --transport unix-dgram --path /tmp/echo.sock
//! ```

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use ch1_families::address::{DEFAULT_HOST, DEFAULT_PORT, Endpoint, UnixAddress};
use ch1_families::client::{self, ClientOptions, OwnAddress};
use ch1_families::report::{count, preview, say};
use ch1_families::server::{DEFAULT_BUFFER, parse_buffer_size};
use ch1_families::stop;
use ch1_families::transport::Transport;
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
        let own_address = own_address(&args)?;
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

        if args.send_all_first {
            send_all_first(&client)
        } else {
            one_line_at_a_time(&client)
        }
    })
}

// ANCHOR: one_line_at_a_time
/// Sends each line as it is typed (or piped), and prints its echo.
fn one_line_at_a_time(client: &client::Client) -> Result<()> {
    let mut stdin = std::io::stdin().lock();
    let prompt = stdin.is_terminal();
    loop {
        if prompt {
            eprint!("> ");
            let _ = std::io::stderr().flush();
        }
        let Some(line) = next_line(&mut stdin)? else {
            return Ok(());
        };
        if line.is_empty() {
            continue;
        }
        let reply = client.echo(&line)?;
        say(String::from_utf8_lossy(&reply.bytes));
        if let Some(size) = reply.truncated_from {
            eprintln!(
                "note: the reply was a message of {size} bytes; only the first {} fit in the \
                 buffer (--buffer), the rest was thrown away",
                reply.bytes.len()
            );
        }
    }
}
// ANCHOR_END: one_line_at_a_time

/// Sends every line of stdin, then reads, and says what each read returned.
fn send_all_first(client: &client::Client) -> Result<()> {
    let mut stdin = std::io::stdin().lock();
    let mut lines = Vec::new();
    while let Some(line) = next_line(&mut stdin)? {
        if !line.is_empty() {
            lines.push(line);
        }
    }
    let reads = client.send_all_then_read(&lines)?;
    say(format!(
        "sent {} in {}",
        count(lines.len(), "message"),
        count(lines.len(), "send")
    ));
    for (i, read) in reads.iter().enumerate() {
        let cut = match read.truncated_from {
            Some(size) => format!(" (cut from {size})"),
            None => String::new(),
        };
        say(format!(
            "read {}: {}{cut} {}",
            i + 1,
            count(read.bytes.len(), "byte"),
            preview(&read.bytes)
        ));
    }
    say(format!(
        "{} came back in {}",
        count(lines.len(), "message"),
        count(reads.len(), "read")
    ));
    Ok(())
}

/// The next line of input without its line ending; `None` at the end.
/// Bytes, not text: a line need not be valid UTF-8 to be echoed.
fn next_line(input: &mut impl BufRead) -> Result<Option<Vec<u8>>> {
    let mut line = Vec::new();
    if input
        .read_until(b'\n', &mut line)
        .context("cannot read stdin")?
        == 0
    {
        return Ok(None);
    }
    if line.ends_with(b"\n") {
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    Ok(Some(line))
}

fn own_address(args: &Args) -> Result<OwnAddress> {
    let unix_dgram = args.transport == Transport::UnixDgram;
    if (args.bind.is_some() || args.unbound) && !unix_dgram {
        bail!("--bind and --unbound are for --transport unix-dgram");
    }
    Ok(match (&args.bind, args.unbound) {
        (Some(bind), _) => OwnAddress::Named(UnixAddress::parse(bind)?),
        (None, true) => OwnAddress::Unbound,
        (None, false) => OwnAddress::Automatic,
    })
}
