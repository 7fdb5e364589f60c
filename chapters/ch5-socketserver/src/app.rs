//! The `upper-server` program's body: every transport with every model.
//!
//! The choice is made at run time from the command line, but the server is
//! generic: each of the 4 × 3 combinations is a type of its own, chosen by
//! one `match` and compiled separately.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::concurrency::{ConcurrencyModel, Forking, Synchronous, Threading};
use crate::handler::Handler;
use crate::request::StreamOptions;
use crate::server::Server;
use crate::transport::{
    BindOptions, TcpTransport, Transport, UdpTransport, UnixDatagramTransport, UnixStreamTransport,
};
use crate::upper::Upper;

/// Which socket the server listens on.
#[derive(Debug, Clone)]
pub enum Listen {
    /// TCP on host and port (`TCPServer`).
    Tcp(String, u16),
    /// UDP on host and port (`UDPServer`).
    Udp(String, u16),
    /// A Unix stream socket at a path (`UnixStreamServer`).
    UnixStream(PathBuf),
    /// A Unix datagram socket at a path (`UnixDatagramServer`).
    UnixDatagram(PathBuf),
}

/// Where requests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// In the serving loop, one at a time (the base classes).
    Sync,
    /// A thread per request (`ThreadingMixIn`).
    Threading,
    /// A process per request (`ForkingMixIn`).
    Forking,
}

/// Everything `upper-server` can be asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The socket.
    pub listen: Listen,
    /// The concurrency model.
    pub model: Model,
    /// Reuse address and port, and the backlog.
    pub bind: BindOptions,
    /// Timeout and TCP_NODELAY of each connection.
    pub stream: StreamOptions,
    /// The cap on children of the forking model.
    pub max_children: usize,
    /// The largest datagram accepted.
    pub max_packet_size: usize,
    /// The handler.
    pub upper: Upper,
}

/// Binds, announces, serves until SIGTERM or SIGINT, then closes.
pub fn run_upper_server(options: Options) -> Result<()> {
    let Options { listen, model, .. } = options.clone();
    match listen {
        Listen::Tcp(host, port) => {
            let t = TcpTransport::bind((host.as_str(), port), &options.bind)
                .with_context(|| format!("cannot listen on {host}:{port}"))?
                .with_stream_options(options.stream);
            with_model(t, model, &options)
        }
        Listen::Udp(host, port) => {
            let t = UdpTransport::bind((host.as_str(), port), &options.bind)
                .with_context(|| format!("cannot bind {host}:{port}"))?
                .with_max_packet_size(options.max_packet_size);
            with_model(t, model, &options)
        }
        Listen::UnixStream(path) => {
            let t = UnixStreamTransport::bind(&path, &options.bind)
                .with_context(|| format!("cannot listen on {}", path.display()))?
                .with_stream_options(options.stream);
            with_model(t, model, &options)
        }
        Listen::UnixDatagram(path) => {
            let t = UnixDatagramTransport::bind(&path)
                .with_context(|| format!("cannot bind {}", path.display()))?
                .with_max_packet_size(options.max_packet_size);
            with_model(t, model, &options)
        }
    }
}

fn with_model<T: Transport>(transport: T, model: Model, options: &Options) -> Result<()>
where
    Upper: Handler<T::Request>,
{
    let upper = options.upper.clone();
    match model {
        Model::Sync => serve(transport, upper, Synchronous),
        Model::Threading => serve(transport, upper, Threading::new()),
        Model::Forking => serve(transport, upper, Forking::new(options.max_children)),
    }
}

// ANCHOR: serve
fn serve<T, H, M>(transport: T, handler: H, model: M) -> Result<()>
where
    T: Transport,
    H: Handler<T::Request>,
    M: ConcurrencyModel,
{
    Server::new(transport, handler, model)?.serve_until_signalled()
}
// ANCHOR_END: serve

/// A timeout in seconds from the command line; 0 means none.
pub fn seconds(secs: f64) -> Option<Duration> {
    (secs > 0.0).then(|| Duration::from_secs_f64(secs))
}
