//! A bounded thread pool, the Rust Book's way (chapter 21), serving whole
//! connections.
//!
//! A fixed number of workers take jobs from one channel. The number of
//! threads is bounded, and so is the number of clients served at once: a
//! worker is busy for as long as its client stays connected, and the next
//! connection waits in the channel until a worker is free. The Book's web
//! server closes each connection after one answer, so its jobs are short;
//! this protocol keeps connections open, and the pool shows its limit.

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;

use anyhow::{Context, Result};
use book_support::accept::AcceptPause;
use ch5_socketserver::upper::{read_message, upper_reply};

use crate::listen::GRACE;

// ANCHOR: thread_pool
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Workers taking jobs from one queue; dropping the pool lets them finish
/// the queue and joins them.
#[derive(Debug)]
pub struct ThreadPool {
    workers: Vec<thread::JoinHandle<()>>,
    sender: Option<mpsc::Sender<Job>>,
}

impl ThreadPool {
    /// Starts `size` workers (at least one).
    pub fn new(size: usize) -> io::Result<ThreadPool> {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut workers = Vec::with_capacity(size);
        for id in 0..size.max(1) {
            let receiver = Arc::clone(&receiver);
            let worker = thread::Builder::new()
                .name(format!("worker-{id}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job.
                        let job = receiver
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break, // the pool was dropped: no more jobs
                        }
                    }
                })?;
            workers.push(worker);
        }
        Ok(ThreadPool {
            workers,
            sender: Some(sender),
        })
    }

    /// Queues `job` for the next free worker.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        if let Some(sender) = &self.sender {
            let _ = sender.send(Box::new(job));
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        drop(self.sender.take()); // workers see the end after the queue
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
// ANCHOR_END: thread_pool

// ANCHOR: registry
/// The open connections, each by a second handle to its socket (shared,
/// not a `dup`: a connection costs one descriptor), so that a shutdown can
/// stop them reading from another thread.
#[derive(Debug, Default)]
struct Open {
    next: u64,
    streams: HashMap<u64, Arc<TcpStream>>,
}

fn lock(open: &Mutex<Open>) -> std::sync::MutexGuard<'_, Open> {
    open.lock().unwrap_or_else(PoisonError::into_inner)
}
// ANCHOR_END: registry

/// Lines in, answers out, on a blocking socket: the thread's stack keeps
/// the state the event loop keeps in [`crate::conn::Connection`]. Reading
/// and writing both go through `&TcpStream`, so the socket is not cloned.
fn serve_connection(stream: &TcpStream) -> io::Result<()> {
    let mut rfile = BufReader::new(stream);
    let mut wfile = BufWriter::new(stream);
    let mut line = Vec::new();
    while read_message(&mut rfile, &mut line)? {
        wfile.write_all(&upper_reply(&line))?;
        wfile.flush()?;
    }
    Ok(())
}

// ANCHOR: serve
/// Accepts until `stop` becomes readable, hands each connection to the
/// pool, then stops every connection reading and waits for the workers.
pub fn serve(listener: TcpListener, stop: UnixStream, workers: usize) -> Result<()> {
    let pool = ThreadPool::new(workers).context("cannot start the workers")?;
    let open = Arc::new(Mutex::new(Open::default()));
    listener.set_nonblocking(true)?; // poll said ready, but the client may be gone
    let mut pause = AcceptPause::default();
    let log = |line: &str| eprintln!("{line}");
    while wait_readable(&listener, &stop)? {
        let stream = match listener.accept() {
            Ok((stream, _)) => Arc::new(stream),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            Err(e) => {
                // Out of descriptors, this thread sleeps a moment (the
                // workers serve on); other errors are tried again at once.
                pause.failed(&e, log);
                continue;
            }
        };
        pause.accepted(log);
        let id = {
            let mut o = lock(&open);
            o.next += 1;
            let id = o.next;
            o.streams.insert(id, Arc::clone(&stream));
            id
        };
        let open = Arc::clone(&open);
        pool.execute(move || {
            let _ = serve_connection(&stream); // a vanished client ends its job
            lock(&open).streams.remove(&id);
        });
    }
    drop(listener);
    {
        let o = lock(&open);
        eprintln!("shutting down: {} connection(s) to finish", o.streams.len());
        for stream in o.streams.values() {
            // Reads return what has arrived, then EOF; a client that does
            // not take its answers gets GRACE, then a write error.
            let _ = stream.shutdown(Shutdown::Read);
            let _ = stream.set_write_timeout(Some(GRACE));
        }
    }
    drop(pool); // queued connections are served (they read EOF at once)
    eprintln!("stopped");
    Ok(())
}
// ANCHOR_END: serve

/// Blocks until a connection waits (`true`) or a signal came (`false`).
fn wait_readable(listener: &TcpListener, stop: &UnixStream) -> io::Result<bool> {
    let mut fds = [
        libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: stop.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: `fds` is a live array of two pollfd structs.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if n >= 0 {
            return Ok(fds[1].revents == 0);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
