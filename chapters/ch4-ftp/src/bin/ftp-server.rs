//! The chapter's server: `cargo run -p ch4-ftp --bin ftp-server -- --root DIR`.

use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use book_support::cli::{announce, check_host, run};
use ch4_ftp::safety::Root;
use ch4_ftp::send::SendMethod;
use ch4_ftp::server::{ignore_file_size_signal, serve_forever};
use ch4_ftp::state::{MAX_CLIENTS, Server};
use ch4_ftp::{DEFAULT_PORT, Protocol};
use clap::Parser;

/// Serves the files under a folder, in the article's protocol or the framed one.
#[derive(Parser, Debug)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Allow --host to be an address other than loopback. Anyone who can
    /// reach it can download every file under --root and upload new ones,
    /// with no password: never on an untrusted network.
    #[arg(long)]
    allow_remote: bool,
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The folder to serve; nothing outside it is ever sent.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// `article` (get NAME, size, OK, bytes, md5) or `framed`.
    #[arg(long, default_value = "framed")]
    protocol: Protocol,
    /// How file bytes reach the socket: sendfile, read-write or std-copy.
    #[arg(long, default_value = "sendfile")]
    send: SendMethod,
    /// Turn away clients beyond this many at once.
    #[arg(long, default_value_t = MAX_CLIENTS)]
    max_clients: usize,
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        check_host(
            args.host,
            args.allow_remote,
            "download every file under the root and upload new ones, with no password",
        )?;
        let root = Root::new(&args.root)
            .with_context(|| format!("cannot serve {}", args.root.display()))?;
        let listener = TcpListener::bind((args.host, args.port))
            .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
        announce(listener.local_addr()?);
        let protocol = match args.protocol {
            Protocol::Article => "the article's",
            Protocol::Framed => "the framed",
        };
        eprintln!("serving {} with {protocol} protocol", root.dir().display());
        let mut server = Server::new(root, args.protocol, args.send);
        server.max_clients = args.max_clients;
        let server = Arc::new(server);
        ignore_file_size_signal();
        serve_forever(listener, server)?;
        Ok(())
    })
}
