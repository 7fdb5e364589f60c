//! The article's upper-casing server: `cargo run -p ch5-socketserver --bin upper-server`.
//!
//! A thread per connection on TCP port 9999 by default, as the article's
//! `ThreadingTCPServer`; flags choose the other transports and models, and
//! `--protocol article` answers each read as the article's handler does.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use book_support::cli::{check_host, run};
use ch5_socketserver::DEFAULT_PORT;
use ch5_socketserver::app::{Listen, Model, Options, run_upper_server, seconds};
use ch5_socketserver::concurrency::Forking;
use ch5_socketserver::request::StreamOptions;
use ch5_socketserver::transport::{BindOptions, MAX_PACKET_SIZE};
use ch5_socketserver::upper::{Protocol, Upper};
use clap::Parser;

/// Answers each line with the same text, stripped and upper-cased.
#[derive(Parser, Debug)]
struct Args {
    /// The address to listen on (TCP and UDP).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Allow --host to be an address other than loopback. The server
    /// answers anyone who reaches it, and over UDP it answers forged source
    /// addresses too: never on an untrusted network.
    #[arg(long)]
    allow_remote: bool,
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Serve UDP datagrams instead of TCP connections.
    #[arg(long, conflicts_with_all = ["unix", "unix_datagram"])]
    udp: bool,
    /// Serve on a Unix stream socket at this path.
    #[arg(long, value_name = "PATH", conflicts_with = "unix_datagram")]
    unix: Option<PathBuf>,
    /// Serve on a Unix datagram socket at this path.
    #[arg(long, value_name = "PATH")]
    unix_datagram: Option<PathBuf>,
    /// Where each request runs.
    #[arg(long, value_enum, default_value = "threading")]
    model: Model,
    /// Where a message on a stream ends. A datagram is one message either
    /// way.
    #[arg(long, value_enum, default_value_t = Protocol::Lines)]
    protocol: Protocol,
    /// The forking model's cap on children at once.
    #[arg(long, default_value_t = Forking::MAX_CHILDREN)]
    max_children: usize,
    /// The listen backlog (request_queue_size).
    #[arg(long, default_value_t = BindOptions::default().request_queue_size)]
    backlog: i32,
    /// Do not set SO_REUSEADDR.
    #[arg(long)]
    no_reuse_address: bool,
    /// Set SO_REUSEPORT, so several servers can share the port.
    #[arg(long)]
    reuse_port: bool,
    /// Read and write timeout of each connection, in seconds (0: none).
    #[arg(long, default_value_t = 0.0)]
    timeout: f64,
    /// Set TCP_NODELAY on each connection.
    #[arg(long)]
    nodelay: bool,
    /// The largest datagram accepted.
    #[arg(long, default_value_t = MAX_PACKET_SIZE)]
    max_packet_size: usize,
    /// Print each message, as the article's server does.
    #[arg(long)]
    verbose: bool,
    /// Panic in the handler on this message (to watch the server survive it).
    #[arg(long, value_name = "MESSAGE")]
    panic_on: Option<String>,
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let listen = match (&args.unix, &args.unix_datagram) {
            (Some(path), _) => Listen::UnixStream(path.clone()),
            (_, Some(path)) => Listen::UnixDatagram(path.clone()),
            _ if args.udp => Listen::Udp(args.host.to_string(), args.port),
            _ => Listen::Tcp(args.host.to_string(), args.port),
        };
        if matches!(listen, Listen::Udp(..) | Listen::Tcp(..)) {
            check_host(
                args.host,
                args.allow_remote,
                "make it answer, and over UDP aim its answers at others by forging a source address",
            )?;
        }
        run_upper_server(Options {
            listen,
            model: args.model,
            bind: BindOptions {
                allow_reuse_address: !args.no_reuse_address,
                allow_reuse_port: args.reuse_port,
                request_queue_size: args.backlog,
            },
            stream: StreamOptions {
                timeout: seconds(args.timeout),
                disable_nagle_algorithm: args.nodelay,
            },
            max_children: args.max_children,
            max_packet_size: args.max_packet_size,
            upper: Upper {
                protocol: args.protocol,
                verbose: args.verbose,
                panic_on: args.panic_on,
            },
        })
    })
}
