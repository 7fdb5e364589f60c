//! The `loop-server` program's body: one protocol, seven ways to serve it.

use anyhow::{Context, Result};
use book_support::cli::announce;
use ch5_socketserver::concurrency::{ConcurrencyModel, Forking, Threading};
use ch5_socketserver::server::Server;
use ch5_socketserver::transport::{BindOptions, TcpTransport};
use ch5_socketserver::upper::Upper;

use crate::listen::{BACKLOG, bind, bind_shared};
use crate::signals::signal_pipe;
use crate::{async_server, mio_loop, per_core, poll_loop, pool};

/// Where connections are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Model {
    /// One thread, non-blocking sockets, `poll(2)` (libc).
    Poll,
    /// One thread, non-blocking sockets, `mio` (epoll).
    Mio,
    /// The `mio` loop on every core, each with its own `SO_REUSEPORT`
    /// listener on the same port (`--loops`).
    MioCores,
    /// Tasks on tokio's multi-threaded runtime.
    Tokio,
    /// A fixed number of worker threads, a connection each (`--workers`).
    Pool,
    /// Chapter 5's server: a thread per connection.
    Threading,
    /// Chapter 5's server: a process per connection.
    Forking,
}

impl Model {
    /// Every model, in the order the benchmark and the tests use.
    pub const ALL: [Model; 7] = [
        Model::Threading,
        Model::Forking,
        Model::Pool,
        Model::Poll,
        Model::Mio,
        Model::MioCores,
        Model::Tokio,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Model::Poll => "poll",
            Model::Mio => "mio",
            Model::MioCores => "mio-cores",
            Model::Tokio => "tokio",
            Model::Pool => "pool",
            Model::Threading => "threading",
            Model::Forking => "forking",
        }
    }
}

/// Everything `loop-server` can be asked.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The address to listen on.
    pub host: String,
    /// The port; 0 lets the system choose.
    pub port: u16,
    /// The concurrency model.
    pub model: Model,
    /// The pool's number of workers.
    pub workers: usize,
    /// The forking model's cap on children at once.
    pub max_children: usize,
    /// The number of loops of `mio-cores`; `None`: one per core.
    pub loops: Option<usize>,
}

// ANCHOR: run
/// Binds, announces, serves until SIGTERM or SIGINT, finishes, returns.
pub fn run_server(o: ServerOptions) -> Result<()> {
    match o.model {
        Model::Threading => return serve_with_chapter_5(&o, Threading::new()),
        Model::Forking => return serve_with_chapter_5(&o, Forking::new(o.max_children)),
        _ => {}
    }
    if o.model == Model::MioCores {
        let loops = o.loops.unwrap_or_else(cores).max(1);
        let listeners = bind_shared(&o.host, o.port, loops)?;
        let addr = listeners[0].local_addr()?;
        let loops = per_core::set_up(listeners, signal_pipe()?)?;
        announce(addr); // every loop is set up: connections will be served
        eprintln!(
            "{} loop(s), one listening socket each (SO_REUSEPORT)",
            loops.len()
        );
        return Ok(per_core::serve(loops)?);
    }
    let listener = bind(&o.host, o.port)?;
    announce(listener.local_addr()?);
    match o.model {
        Model::Poll => poll_loop::serve(listener, signal_pipe()?)?,
        Model::Mio => mio_loop::serve(listener, signal_pipe()?)?,
        Model::Pool => pool::serve(listener, signal_pipe()?, o.workers)?,
        Model::Tokio => async_server::run(listener)?,
        Model::Threading | Model::Forking | Model::MioCores => unreachable!("served above"),
    }
    Ok(())
}

/// The number of cores this process may run on (1 if unknown).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Chapter 5's `Server`, with its upper-casing handler, on `model`, with
/// this chapter's backlog.
fn serve_with_chapter_5<M: ConcurrencyModel>(o: &ServerOptions, model: M) -> Result<()> {
    let bind = BindOptions {
        request_queue_size: BACKLOG,
        ..BindOptions::default()
    };
    let transport = TcpTransport::bind((o.host.as_str(), o.port), &bind)
        .with_context(|| format!("cannot listen on {}:{}", o.host, o.port))?;
    Server::new(transport, Upper::default(), model)?.serve_until_signalled()
}
// ANCHOR_END: run
