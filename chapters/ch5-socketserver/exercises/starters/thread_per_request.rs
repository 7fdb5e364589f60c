// Exercise ch5-thread-per-request: A concurrency model of your own: a thread per request, joined at close
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch5-thread-per-request -- --port 0`
// Check it: `cargo exercise check ch5-thread-per-request`. Stuck? `cargo exercise hint ch5-thread-per-request`.

//! A concurrency model of your own: a thread per request.
//!
//! The upper-casing server of the chapter, with `ThreadPerRequest` in place
//! of the library's `Threading`. The server calls `process_request` for
//! each accepted connection; it must return at once, leaving the work to a
//! new thread, and `server_close` must wait for those threads, so that the
//! program ends only when every request in flight is answered.

use std::io;
use std::process::ExitCode;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::Context;
use book_support::cli::{announce, run};
use ch5_socketserver::concurrency::ConcurrencyModel;
use ch5_socketserver::server::Server;
use ch5_socketserver::shutdown::{Ticket, stop_on_signals};
use ch5_socketserver::transport::{BindOptions, TcpTransport};
use ch5_socketserver::upper::Upper;
use clap::Parser;

/// The upper-casing server with a home-made thread per request.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
}

/// The threads started, to wait for them at the end.
#[derive(Debug, Default)]
struct ThreadPerRequest {
    threads: Vec<JoinHandle<()>>,
}

// ANCHOR: task
impl ConcurrencyModel for ThreadPerRequest {
    fn name(&self) -> &'static str {
        "thread per request"
    }

    fn process_request<R: Send + 'static>(
        &mut self,
        request: R,
        ticket: Option<Ticket>,
        work: impl FnOnce(R) + Send + 'static,
    ) -> io::Result<()> {
        // TODO: forget ended threads, then run work(request) on a new thread that keeps `ticket` until the work is done; keep its JoinHandle
        todo!(
            "forget ended threads, then run work(request) on a new thread that keeps `ticket` until the work is done; keep its JoinHandle"
        )
    }

    fn server_close(&mut self) {
        // TODO: wait for every thread still running
        todo!("wait for every thread still running")
    }
}
// ANCHOR_END: task

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let transport = TcpTransport::bind(("127.0.0.1", args.port), &BindOptions::default())
            .with_context(|| format!("cannot listen on port {}", args.port))?;
        let mut server = Server::new(transport, Upper::default(), ThreadPerRequest::default())?;
        stop_on_signals(&server.shutdown_handle())?;
        announce(server.server_address());
        server.serve_forever(Duration::from_millis(500))?;
        drop(server); // server_close: waits for the requests in flight
        eprintln!("stopped");
        Ok(())
    })
}
