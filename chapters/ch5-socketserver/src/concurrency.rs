//! Where a request runs: in the serving loop, on a thread, in a process.
//!
//! Python mixes this in: `ThreadingTCPServer` is `class
//! ThreadingTCPServer(ThreadingMixIn, TCPServer)`, and the mix-in's
//! `process_request` overrides the base class's by coming first in the
//! method resolution order. Rust has no inheritance; the same choice is a
//! type parameter of the server, `Server<T, H, M: ConcurrencyModel>`, and
//! each model is a small type with the state it needs (the threads it
//! started, the children it must reap).

use std::collections::HashMap;
use std::io::{self, Write};
use std::thread::{self, JoinHandle};

use crate::shutdown::Ticket;

// ANCHOR: model
/// Python's `process_request` and the clean-up around it.
pub trait ConcurrencyModel: Send + 'static {
    /// A short name for messages: `sync`, `threading`, `forking`.
    fn name(&self) -> &'static str;

    /// Runs `work(request)` somewhere. `ticket` keeps the connection in the
    /// server's registry (see [`crate::shutdown`]) while the work runs; drop
    /// it when the work is done.
    fn process_request<R: Send + 'static>(
        &mut self,
        request: R,
        ticket: Option<Ticket>,
        work: impl FnOnce(R) + Send + 'static,
    ) -> io::Result<()>;

    /// Can another request start now? While not, the server leaves new
    /// clients in the accept queue, and asks again at each poll interval.
    fn ready(&mut self) -> bool {
        true
    }

    /// Python's `service_actions`: called by `serve_forever` after each
    /// request and at least every poll interval. Reaps finished workers.
    fn service_actions(&mut self) {}

    /// Called when the server closes: waits for the running workers, or not.
    fn server_close(&mut self) {}

    /// How many workers are still known to run.
    fn active(&self) -> usize {
        0
    }
}
// ANCHOR_END: model

/// The four base classes' own behaviour: each request runs to its end in the
/// serving loop, and the next client waits.
#[derive(Debug, Default)]
pub struct Synchronous;

impl ConcurrencyModel for Synchronous {
    fn name(&self) -> &'static str {
        "sync"
    }

    fn process_request<R: Send + 'static>(
        &mut self,
        request: R,
        ticket: Option<Ticket>,
        work: impl FnOnce(R) + Send + 'static,
    ) -> io::Result<()> {
        work(request);
        drop(ticket);
        Ok(())
    }
}

// ANCHOR: threading
/// `ThreadingMixIn`: a thread per request.
///
/// Python's `daemon_threads` decides whether the interpreter waits for
/// handler threads at exit. A Rust process ends when `main` returns, with
/// every thread in it, so that flag has no counterpart; `block_on_close` has:
/// closing the server joins the handler threads, or leaves them running.
#[derive(Debug)]
pub struct Threading {
    block_on_close: bool,
    threads: Vec<JoinHandle<()>>,
}

impl Threading {
    /// A model that joins its threads when the server closes.
    pub fn new() -> Self {
        Threading {
            block_on_close: true,
            threads: Vec::new(),
        }
    }

    /// Whether closing the server waits for running handlers.
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.block_on_close = block;
        self
    }
}

impl Default for Threading {
    fn default() -> Self {
        Threading::new()
    }
}

impl ConcurrencyModel for Threading {
    fn name(&self) -> &'static str {
        "threading"
    }

    fn process_request<R: Send + 'static>(
        &mut self,
        request: R,
        ticket: Option<Ticket>,
        work: impl FnOnce(R) + Send + 'static,
    ) -> io::Result<()> {
        // Forget the threads that have ended, or the list (and the memory of
        // each ended thread) grows with every request ever served.
        self.threads.retain(|t| !t.is_finished());
        let thread = thread::Builder::new()
            .name("request".into())
            .spawn(move || {
                let _ticket = ticket;
                work(request);
            })?;
        self.threads.push(thread);
        Ok(())
    }

    fn service_actions(&mut self) {
        self.threads.retain(|t| !t.is_finished());
    }

    fn server_close(&mut self) {
        let threads = std::mem::take(&mut self.threads);
        if self.block_on_close {
            for thread in threads {
                // A handler's panic was caught inside; an Err here is a
                // panic in the error reporting itself: nothing left to do.
                let _ = thread.join();
            }
        }
    }

    fn active(&self) -> usize {
        self.threads.iter().filter(|t| !t.is_finished()).count()
    }
}
// ANCHOR_END: threading

// ANCHOR: forking
/// `ForkingMixIn`: a process per request, at most `max_children` at once.
///
/// `fork(2)` copies the calling thread only. In a process with other
/// threads, the child inherits every lock those threads held at that moment
/// (the allocator's, stdout's, any `Mutex`) still locked, with no thread left
/// to unlock it, and the child may hang on its first `println!`. So this
/// model refuses to fork when the process has more than one thread: the
/// forking server is a single-threaded program whose accept loop is the only
/// thread, as a C forking server is.
#[derive(Debug)]
pub struct Forking {
    max_children: usize,
    block_on_close: bool,
    children: HashMap<libc::pid_t, Option<Ticket>>,
}

impl Forking {
    /// Python's default cap is 40 children.
    pub const MAX_CHILDREN: usize = 40;

    /// A model with at most `max_children` children at once; the next
    /// request waits in the accept queue until one of them ends (and is
    /// reaped, within a poll interval).
    pub fn new(max_children: usize) -> Self {
        Forking {
            max_children: max_children.max(1),
            block_on_close: true,
            children: HashMap::new(),
        }
    }

    /// Whether closing the server waits for running children.
    pub fn block_on_close(mut self, block: bool) -> Self {
        self.block_on_close = block;
        self
    }

    /// Reaps ended children (Python's `collect_children`); with `blocking`,
    /// waits for all of them.
    ///
    /// Python's version also blocks when `max_children` are running, until
    /// one ends; then nothing else happens in the loop, not even a shutdown.
    /// Here the loop asks [`ConcurrencyModel::ready`] instead, and while the
    /// answer is no it does not accept, but still wakes for a shutdown.
    pub fn collect_children(&mut self, blocking: bool) {
        while blocking && !self.children.is_empty() {
            match wait_for(-1, 0) {
                Some(pid) => {
                    self.children.remove(&pid);
                }
                None => {
                    self.children.clear();
                    return;
                }
            }
        }
        // Then, without waiting, every child that has ended.
        let ended: Vec<_> = self
            .children
            .keys()
            .copied()
            .filter(|&pid| wait_for(pid, libc::WNOHANG) == Some(pid))
            .collect();
        for pid in ended {
            self.children.remove(&pid);
        }
    }
}

/// `waitpid(pid, flags)`: the pid of a child that ended, or `None` when
/// there is none (yet, or at all).
fn wait_for(pid: libc::pid_t, flags: libc::c_int) -> Option<libc::pid_t> {
    let mut status = 0;
    loop {
        // SAFETY: waitpid only writes the status into our local integer.
        let got = unsafe { libc::waitpid(pid, &raw mut status, flags) };
        if got > 0 {
            return Some(got);
        }
        if got < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return None;
    }
}

/// How many threads this process has, from `/proc/PID/task` (an error
/// where that cannot be read: then nobody knows whether forking is safe).
pub fn threads_in_this_process() -> io::Result<usize> {
    book_support::observe::threads(std::process::id())
}

impl ConcurrencyModel for Forking {
    fn name(&self) -> &'static str {
        "forking"
    }

    fn process_request<R: Send + 'static>(
        &mut self,
        request: R,
        ticket: Option<Ticket>,
        work: impl FnOnce(R) + Send + 'static,
    ) -> io::Result<()> {
        self.collect_children(false);
        let threads = threads_in_this_process()?;
        if threads > 1 {
            return Err(io::Error::other(format!(
                "refusing to fork: this process has {threads} threads, and a child \
                 could inherit a lock that one of them holds"
            )));
        }
        // SAFETY: the process has one thread (checked just above), so no lock
        // can be held by a thread that the child does not have.
        match unsafe { libc::fork() } {
            -1 => Err(io::Error::last_os_error()),
            0 => {
                // The child: serve this one request, then leave without
                // running destructors or exit handlers: those belong to the
                // parent (its server, its buffers), not to this copy.
                work(request);
                let _ = io::stdout().flush();
                // SAFETY: _exit ends the process at once; nothing after it runs.
                unsafe { libc::_exit(0) }
            }
            pid => {
                // The parent: its copy of the connection closes here; the
                // child keeps its own. The ticket stays until the child is
                // reaped, so a shutdown can still stop the child reading.
                drop(request);
                self.children.insert(pid, ticket);
                Ok(())
            }
        }
    }

    fn ready(&mut self) -> bool {
        self.collect_children(false);
        self.children.len() < self.max_children
    }

    fn service_actions(&mut self) {
        self.collect_children(false);
    }

    fn server_close(&mut self) {
        if self.block_on_close {
            self.collect_children(true);
        }
    }

    fn active(&self) -> usize {
        self.children.len()
    }
}
// ANCHOR_END: forking
