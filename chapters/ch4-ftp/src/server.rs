//! The server: one thread per client, either protocol.
//!
//! Each connection gets a thread of its own, so a slow or stalled client
//! never holds up the others; the thread and everything it opened (the
//! socket, the file) are released when it returns, however it returns.

use std::fs;
use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use book_support::accept::AcceptPause;
use md5::{Digest, Md5};

use crate::article::serve_article_client;
use crate::digest::{DigestCache, hex};
use crate::exact::recv_exact_hashed;
use crate::framed::{Entry, FrameError, MAX_REQUEST, Reply, Request, read_frame, send_reply};
use crate::safety::{Refusal, Root};
use crate::send::{SendMethod, send_file_range};
use crate::{MAX_FILE_SIZE, download};

/// Which protocol a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// The article's: `get NAME`, size, `OK`, bytes, digest.
    Article,
    /// Frames with typed replies.
    #[default]
    Framed,
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "article" => Ok(Protocol::Article),
            "framed" => Ok(Protocol::Framed),
            _ => Err(format!("unknown protocol `{s}` (article, framed)")),
        }
    }
}

/// A client that sends nothing for this long is disconnected, so that idle
/// connections cannot pin threads forever.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// A client that takes nothing for this long is disconnected.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// What every connection's thread shares.
#[derive(Debug)]
pub struct Server {
    /// The served folder.
    pub root: Root,
    /// The protocol.
    pub protocol: Protocol,
    /// How file bytes are sent.
    pub method: SendMethod,
    /// Digests already computed.
    pub digests: DigestCache,
    /// At most this many clients at once; more are turned away at once, so
    /// that idle clients cannot take every thread and descriptor.
    pub max_clients: usize,
}

/// The default of [`Server::max_clients`].
pub const MAX_CLIENTS: usize = 64;

impl Server {
    /// A server for `root`.
    pub fn new(root: Root, protocol: Protocol, method: SendMethod) -> Server {
        Server {
            root,
            protocol,
            method,
            digests: DigestCache::default(),
            max_clients: MAX_CLIENTS,
        }
    }

    /// Logs one line about one client on stderr.
    pub fn log(&self, who: &str, what: &str) {
        eprintln!("{who} {what}");
    }
}

/// The peer's address as text, for the log.
pub fn peer(stream: &TcpStream) -> String {
    stream
        .peer_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string())
}

// ANCHOR: serve_forever
/// Accepts clients forever, each on a thread of its own, at most
/// [`Server::max_clients`] at once.
pub fn serve_forever(listener: TcpListener, server: Arc<Server>) -> io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    let mut pause = AcceptPause::default();
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            // A client that vanished between SYN and accept: retry at once.
            // Out of descriptors: pause, and say so once (see `accept`).
            Err(e) => {
                pause.failed(&e, |line| eprintln!("{line}"));
                continue;
            }
        };
        pause.accepted(|line| eprintln!("{line}"));
        let who = peer(&stream);
        if active.fetch_add(1, Ordering::SeqCst) >= server.max_clients {
            active.fetch_sub(1, Ordering::SeqCst);
            server.log(&who, "turned away: too many clients at once");
            continue; // dropping the stream closes it
        }
        let (server, active) = (Arc::clone(&server), Arc::clone(&active));
        thread::spawn(move || {
            server.log(&who, "connected");
            let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
            let _ = stream.set_write_timeout(Some(STALL_TIMEOUT));
            let result = match server.protocol {
                Protocol::Article => serve_article_client(stream, &server),
                Protocol::Framed => serve_framed_client(stream, &server),
            };
            match result {
                Ok(()) => server.log(&who, "left"),
                Err(e) => server.log(&who, &format!("dropped: {e}")),
            }
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
}
// ANCHOR_END: serve_forever

// ANCHOR: serve_framed_client
/// Serves one client of the framed protocol until it leaves.
pub fn serve_framed_client(stream: TcpStream, server: &Server) -> io::Result<()> {
    let who = peer(&stream);
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    loop {
        let payload = match read_frame(&mut input, MAX_REQUEST) {
            Ok(Some(payload)) => payload,
            Ok(None) => return Ok(()),
            Err(FrameError::Io(e)) => return Err(e),
            Err(too_large) => {
                // We cannot skip a frame we refuse to read: answer, close.
                server.log(&who, &format!("bad request: {too_large}"));
                let reply = Reply::error("too-large", too_large.to_string());
                return send_reply(&mut output, &reply);
            }
        };
        let request = match Request::parse(&payload) {
            Ok(request) => request,
            Err(why) => {
                server.log(&who, &format!("bad request: {why}"));
                send_reply(&mut output, &Reply::error("bad-request", why))?;
                continue;
            }
        };
        match request {
            Request::Get { name, offset } => send_file(&mut output, server, &who, &name, offset)?,
            Request::Stat { name } => {
                let reply = match stat(server, &name) {
                    Ok((size, md5)) => Reply::Stat { size, md5 },
                    Err(refusal) => refuse(server, &who, "stat", &name, &refusal),
                };
                send_reply(&mut output, &reply)?;
            }
            Request::Ls { dir } => {
                let reply = match list(server, &dir) {
                    Ok(entries) => Reply::List(entries),
                    Err(refusal) => refuse(server, &who, "ls", &dir, &refusal),
                };
                send_reply(&mut output, &reply)?;
            }
            Request::Put { name, size, md5 } => {
                receive_upload(&mut input, &mut output, server, &who, &name, size, &md5)?;
            }
        }
    }
}
// ANCHOR_END: serve_framed_client

/// Logs a refusal and makes its reply.
fn refuse(server: &Server, who: &str, verb: &str, name: &str, refusal: &Refusal) -> Reply {
    server.log(who, &format!("{verb} {name:?}: refused: {refusal}"));
    Reply::error(refusal.code(), format!("{refusal}: {name}"))
}

// ANCHOR: send_file
/// Answers `get`: the reply frame, then the bytes from `offset` on. An
/// offset past the end (a stale part file) restarts from 0: the reply
/// says where the bytes start, and the client follows it.
fn send_file(
    out: &mut TcpStream,
    server: &Server,
    who: &str,
    name: &str,
    offset: u64,
) -> io::Result<()> {
    let (path, mut file, meta) = match server.root.open_file(name) {
        Ok(found) => found,
        Err(refusal) => return send_reply(out, &refuse(server, who, "get", name, &refusal)),
    };
    let md5 = server.digests.digest(&path, &file)?;
    let size = meta.len();
    let offset = if offset > size { 0 } else { offset };
    send_reply(out, &Reply::File { size, offset, md5 })?;
    send_file_range(out, &mut file, offset, size - offset, server.method)?;
    server.log(
        who,
        &format!("get {name:?}: sent {} bytes from {offset}", size - offset),
    );
    Ok(())
}
// ANCHOR_END: send_file

fn stat(server: &Server, name: &str) -> Result<(u64, String), Refusal> {
    let (path, file, meta) = server.root.open_file(name)?;
    let md5 = server
        .digests
        .digest(&path, &file)
        .map_err(|e| Refusal::Io(e.to_string()))?;
    Ok((meta.len(), md5))
}

/// The entries of a folder under the root, sorted, at most 10,000.
///
/// The `list` reply is one line per entry, so a name with a line break in it
/// (which `put` refuses, but another program may have made) cannot be
/// carried: it would forge entries. Such names are left out.
fn list(server: &Server, dir: &str) -> Result<Vec<Entry>, Refusal> {
    let path = server.root.resolve_dir(dir)?;
    let mut entries = Vec::new();
    let read = fs::read_dir(path).map_err(|e| Refusal::Io(e.to_string()))?;
    for entry in read.flatten().take(10_000) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.contains(['\n', '\r']) {
            continue;
        }
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        let kind = if meta.is_file() {
            'f'
        } else if meta.is_dir() {
            'd'
        } else if meta.is_symlink() {
            'l'
        } else {
            'o'
        };
        entries.push(Entry {
            kind,
            size: meta.is_file().then_some(meta.len()),
            name,
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

// ANCHOR: receive_upload
/// Answers `put`: checks the name, says `ready`, receives exactly `size`
/// bytes into a temporary file beside the target, and links it under its
/// name only if the md5 matches and the name is still free.
fn receive_upload(
    input: &mut BufReader<TcpStream>,
    output: &mut TcpStream,
    server: &Server,
    who: &str,
    name: &str,
    size: u64,
    expected: &str,
) -> io::Result<()> {
    let target = match server.root.new_file_path(name) {
        Ok(target) => target,
        Err(refusal) => return send_reply(output, &refuse(server, who, "put", name, &refusal)),
    };
    if size > MAX_FILE_SIZE {
        let message = format!("{size} bytes is more than this server accepts");
        return send_reply(output, &Reply::error("too-large", message));
    }
    let folder = target.parent().unwrap_or(server.root.dir());
    let temp = tempfile::Builder::new()
        .prefix(".upload-")
        .tempfile_in(folder)?;
    send_reply(output, &Reply::Ready)?;
    let mut md5 = Md5::new();
    let mut writer = io::BufWriter::with_capacity(crate::CHUNK, temp.as_file());
    recv_exact_hashed(input, &mut writer, size, &mut md5, &mut |_| {})?;
    writer.flush()?;
    drop(writer);
    let got = hex(md5);
    if got != expected {
        server.log(who, &format!("put {name:?}: md5 mismatch"));
        drop(temp); // deleted before the client hears about it
        let message = format!("the bytes hash to {got}, not {expected}");
        return send_reply(output, &Reply::error("bad-digest", message));
    }
    let (_file, temp_path) = temp.keep().map_err(|e| e.error)?;
    if let Err(e) = download::publish(&temp_path, &target, false) {
        let _ = fs::remove_file(&temp_path);
        return send_reply(output, &Reply::error("exists", format!("{e:#}")));
    }
    server.log(who, &format!("put {name:?}: received {size} bytes"));
    send_reply(output, &Reply::Done { md5: got })
}
// ANCHOR_END: receive_upload
