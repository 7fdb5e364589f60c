//! The handler: what you write, and the life cycle the server runs it in.
//!
//! In Python you subclass `BaseRequestHandler`; the server makes one object
//! per request and calls `setup()`, `handle()` and, even when `handle` raised,
//! `finish()`. Rust needs no object per request: the per-request state is the
//! request itself (see [`crate::request`]) and the local variables of
//! `handle`. So a handler is one value shared by every request (`&self`,
//! `Sync`), and it also carries the two server hooks that Python's users
//! override on the server class, `verify_request` and `handle_error`: they
//! are about requests, and one `impl` block then holds all you customise.

use std::any::Any;
use std::fmt;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};

use crate::request::Request;

/// How handling a request went wrong.
#[derive(Debug)]
pub enum RequestError {
    /// `setup`, `handle`, `finish` or `complete` returned an error.
    Io(io::Error),
    /// `handle` panicked; the message, when it was text.
    Panic(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::Io(e) => write!(f, "{e}"),
            RequestError::Panic(message) => write!(f, "the handler panicked: {message}"),
        }
    }
}

// ANCHOR: handler
/// `BaseRequestHandler` and the request hooks of `BaseServer`.
pub trait Handler<R: Request>: Send + Sync + 'static {
    /// Python's `verify_request`: `false` drops the request unhandled (a
    /// connection is closed at once). Runs in the serving loop, so keep it
    /// quick.
    fn verify_request(&self, _request: &R) -> bool {
        true
    }

    /// Runs before `handle`. If it fails, neither `handle` nor `finish` runs.
    fn setup(&self, _request: &mut R) -> io::Result<()> {
        Ok(())
    }

    /// Serves the request: everything said with the client happens here.
    fn handle(&self, request: &mut R) -> io::Result<()>;

    /// Runs after `handle`, also when `handle` failed or panicked: the place
    /// to release what `setup` took.
    fn finish(&self, _request: &mut R) -> io::Result<()> {
        Ok(())
    }

    /// Python's `handle_error`: reports a request that failed. The default
    /// prints one line to stderr; the server serves on either way.
    ///
    /// The line is written with one `write(2)`: `eprintln!` writes its
    /// pieces one call at a time, and the forking model's children share
    /// one stderr, so two children failing at once would weave their
    /// lines into each other.
    fn handle_error(&self, client_address: &str, error: &RequestError) {
        let line = format!("error: request from {client_address}: {error}\n");
        let _ = io::stderr().write_all(line.as_bytes());
    }
}
// ANCHOR_END: handler

// ANCHOR: finish_request
/// Python's `finish_request`: runs one request through its life cycle, on
/// whatever thread or process the concurrency model chose, and reports a
/// failure to `handle_error` instead of letting it end the server.
///
/// A panic in `handle` is caught with `catch_unwind`, so it unwinds this
/// request only; `finish` still runs, and the panic is reported like an
/// error. (A panic is a bug, not bad input; catching it keeps one client's
/// bug from taking every other client's connection down with it.)
pub fn finish_request<R: Request, H: Handler<R>>(handler: &H, mut request: R) {
    let client = request.client_address();
    let life_cycle = || {
        handler.setup(&mut request).map_err(RequestError::Io)?;
        let handled = panic::catch_unwind(AssertUnwindSafe(|| handler.handle(&mut request)));
        let finished = handler.finish(&mut request);
        match handled {
            Err(payload) => return Err(RequestError::Panic(panic_message(&*payload))),
            Ok(Err(e)) => return Err(RequestError::Io(e)),
            Ok(Ok(())) => {}
        }
        finished.map_err(RequestError::Io)?;
        request.complete().map_err(RequestError::Io)
    };
    // A panic in `setup` or `finish` is caught too, one level up.
    let outcome = panic::catch_unwind(AssertUnwindSafe(life_cycle))
        .unwrap_or_else(|payload| Err(RequestError::Panic(panic_message(&*payload))));
    if let Err(error) = outcome {
        handler.handle_error(&client, &error);
    }
    // `request` is dropped here: the connection closes (Python's
    // `shutdown_request`), unless the handler kept a handle on it.
}
// ANCHOR_END: finish_request

/// The text of a panic's payload, when it has one.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(not a text message)".to_string()
    }
}
