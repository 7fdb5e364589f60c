//! An echo server for every transport of chapter 1.
//!
//! ```text
//! cargo run -p ch1-families --bin echo-server                          # TCP, 127.0.0.1:9999
//! cargo run -p ch1-families --bin echo-server -- --host ::1            # TCP over IPv6
//! cargo run -p ch1-families --bin echo-server -- --transport udp
//! cargo run -p ch1-families --bin echo-server -- --transport unix-dgram --path /tmp/echo.sock
//! ```

use std::process::ExitCode;

use anyhow::Context;
use ch1_families::address::{DEFAULT_HOST, DEFAULT_PORT, Endpoint};
use ch1_families::server::{self, DEFAULT_BUFFER, ServerOptions, parse_buffer_size};
use ch1_families::stop;
use ch1_families::transport::Transport;
use clap::Parser;

/// Echoes back whatever it receives, over any family and type.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The family and type to serve.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// The IP address to bind (tcp, udp): 127.0.0.1, ::1, ...
    #[arg(long, default_value = DEFAULT_HOST)]
    host: String,
    /// The port to bind (tcp, udp); 0 lets the system choose.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The socket's path (unix-*), or @name for an abstract name (Linux).
    #[arg(long)]
    path: Option<String>,
    /// The size of each read, in bytes. Try 1024, Python's habit, with a
    /// big UDP datagram.
    #[arg(long, default_value_t = DEFAULT_BUFFER, value_parser = parse_buffer_size)]
    buffer: usize,
    /// Do not remove a stale socket file at --path: see bind fail instead.
    #[arg(long)]
    no_unlink: bool,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        // First, while this is the only thread: see ch1_families::stop.
        let stop = stop::block_stop_signals().context("cannot block the stop signals")?;
        let endpoint =
            Endpoint::from_options(args.transport, &args.host, args.port, args.path.as_deref())?;
        let server = server::bind(&ServerOptions {
            transport: args.transport,
            endpoint,
            buffer: args.buffer,
            remove_stale: !args.no_unlink,
        })?;
        let socket_file = server.socket_file().map(|f| f.handle());
        stop.on_stop(move || {
            if let Some(file) = socket_file {
                file.remove();
            }
        })
        .context("cannot start the thread that waits for Ctrl-C")?;
        book_support::cli::announce(server.address());
        server.serve()
    })
}
