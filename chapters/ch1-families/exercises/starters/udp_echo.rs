// Exercise ch1-udp-echo: A UDP echo server that sends every datagram back whole
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-udp-echo -- --port 0`
// Check it: `cargo exercise check ch1-udp-echo`. Stuck? `cargo exercise hint ch1-udp-echo`.

//! A UDP echo server: every datagram goes back to its sender, whole.
//!
//! Start your copy, and talk to it with the chapter's client:
//!
//! ```text
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch1-udp-echo -- --port 9999
//! printf 'hello\n' | cargo run -p ch1-families --bin echo-client -- --transport udp --port 9999
//! ```

use std::net::{Ipv4Addr, UdpSocket};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

/// The largest payload of a UDP datagram over IPv4: 65,535 bytes of IP
/// packet, less 20 of IP header and 8 of UDP header.
const MAX_DATAGRAM: usize = 65_507;

/// A UDP echo server on 127.0.0.1.
#[derive(Debug, Parser)]
struct Args {
    /// The port to listen on; 0 lets the system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, args.port))
            .with_context(|| format!("cannot bind UDP port {} on 127.0.0.1", args.port))?;
        // With port 0 the system chose the port: ask the socket which.
        let address = socket
            .local_addr()
            .context("cannot read the bound address")?;
        book_support::cli::announce(address);
        serve(&socket)
    })
}

/// Sends every datagram that arrives back to the address it came from.
fn serve(socket: &UdpSocket) -> Result<()> {
    // TODO: receive every datagram with `recv_from` and send it back, whole, to its sender with `send_to`
    todo!(
        "receive every datagram with `recv_from` and send it back, whole, to its sender with `send_to`"
    )
}
