//! The server: one thread per client, either protocol.
//!
//! Each connection gets a thread of its own, so a slow or stalled client
//! never holds up the others; the thread and everything it opened (the
//! socket, the file) are released when it returns, however it returns.

use std::io::{self, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use book_support::accept::AcceptPause;
use md5::{Digest, Md5};
use rustix::fs::{AtFlags, Dir, FileType, statat};

use crate::MAX_FILE_SIZE;
use crate::article::serve_article_client;
use crate::digest::{DigestCache, hex};
use crate::exact::recv_exact_hashed;
use crate::framed::{Entry, FrameError, MAX_REQUEST, Reply, Request, read_frame, send_reply};
use crate::incoming::Incoming;
use crate::safety::{Refusal, Root, is_upload_in_progress};
use crate::send::{SendMethod, send_file_range};

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
    let (mut file, meta) = match server.root.open_file(name) {
        Ok(found) => found,
        Err(refusal) => return send_reply(out, &refuse(server, who, "get", name, &refusal)),
    };
    let md5 = server.digests.digest(&file)?;
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
    let (file, meta) = server.root.open_file(name)?;
    let md5 = server
        .digests
        .digest(&file)
        .map_err(|e| Refusal::Io(e.to_string()))?;
    Ok((meta.len(), md5))
}

/// The entries of a folder under the root, sorted, at most 10,000.
///
/// The folder is read through the descriptor it was opened with, and each
/// entry is looked at relative to it, so the listing is of the folder that
/// was checked. The `list` reply is one line per entry, so a name with a
/// line break in it (which `put` refuses, but another program may have
/// made) cannot be carried: it would forge entries. Such names are left
/// out, and so are uploads still in progress.
fn list(server: &Server, dir: &str) -> Result<Vec<Entry>, Refusal> {
    let folder = server.root.open_dir(dir)?;
    let io_refusal = |e: rustix::io::Errno| Refusal::Io(io::Error::from(e).to_string());
    let mut entries = Vec::new();
    for entry in Dir::read_from(&folder).map_err(io_refusal)? {
        let entry = entry.map_err(io_refusal)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "."
            || name == ".."
            || name.contains(['\n', '\r'])
            || is_upload_in_progress(&name)
        {
            continue;
        }
        let Ok(stat) = statat(&folder, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW) else {
            continue; // gone since the folder was read
        };
        let kind = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => 'f',
            FileType::Directory => 'd',
            FileType::Symlink => 'l',
            _ => 'o',
        };
        entries.push(Entry {
            kind,
            size: (kind == 'f').then_some(stat.st_size as u64),
            name,
        });
        if entries.len() == 10_000 {
            break;
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(entries)
}

// ANCHOR: receive_upload
/// Answers `put`: checks the name, says `ready`, receives exactly `size`
/// bytes into a file that has no name yet, and gives it its name only if
/// the md5 matches and the name is still free. A failure to store the
/// bytes (a full disk) is answered once all of them have arrived, so the
/// client hears why instead of a broken connection.
fn receive_upload(
    input: &mut BufReader<TcpStream>,
    output: &mut TcpStream,
    server: &Server,
    who: &str,
    name: &str,
    size: u64,
    expected: &str,
) -> io::Result<()> {
    let (folder, file_name) = match server.root.new_file(name) {
        Ok(place) => place,
        Err(refusal) => return send_reply(output, &refuse(server, who, "put", name, &refusal)),
    };
    if size > MAX_FILE_SIZE {
        let message = format!("{size} bytes is more than this server accepts");
        return send_reply(output, &Reply::error("too-large", message));
    }
    let upload = match Incoming::create(folder) {
        Ok(upload) => upload,
        Err(e) => return send_reply(output, &cannot_store(server, who, name, &e)),
    };
    send_reply(output, &Reply::Ready)?;
    let mut md5 = Md5::new();
    let mut writer = KeepReading::new(io::BufWriter::with_capacity(crate::CHUNK, upload.file()));
    recv_exact_hashed(input, &mut writer, size, &mut md5, &mut |_| {})?;
    if let Err(e) = writer.finish() {
        // `upload` is dropped here, and with it the bytes stored so far.
        return send_reply(output, &cannot_store(server, who, name, &e));
    }
    let got = hex(md5);
    if got != expected {
        server.log(who, &format!("put {name:?}: md5 mismatch"));
        drop(upload); // gone before the client hears about it
        let message = format!("the bytes hash to {got}, not {expected}");
        return send_reply(output, &Reply::error("bad-digest", message));
    }
    match upload.publish(&file_name) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let message = format!("{name} exists (it appeared during the upload)");
            return send_reply(output, &Reply::error("exists", message));
        }
        Err(e) => return send_reply(output, &cannot_store(server, who, name, &e)),
    }
    server.log(who, &format!("put {name:?}: received {size} bytes"));
    send_reply(output, &Reply::Done { md5: got })
}
// ANCHOR_END: receive_upload

/// Logs a failure to store an upload and makes its reply.
fn cannot_store(server: &Server, who: &str, name: &str, e: &io::Error) -> Reply {
    server.log(who, &format!("put {name:?}: cannot store it: {e}"));
    Reply::error("io", format!("the server cannot store {name}: {e}"))
}

/// A writer that, once a write has failed, drops the rest of the bytes
/// and keeps the error for the end, so that the sender's bytes are still
/// all read and the connection stays in step.
struct KeepReading<W: Write> {
    inner: W,
    failed: Option<io::Error>,
}

impl<W: Write> KeepReading<W> {
    fn new(inner: W) -> Self {
        KeepReading {
            inner,
            failed: None,
        }
    }

    /// The first error, or that of the last flush.
    fn finish(mut self) -> io::Result<()> {
        match self.failed.take() {
            Some(e) => Err(e),
            None => self.inner.flush(),
        }
    }
}

impl<W: Write> Write for KeepReading<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed.is_none()
            && let Err(e) = self.inner.write_all(buf)
        {
            self.failed = Some(e);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ANCHOR: ignore_file_size_signal
/// A process over its file size limit (`ulimit -f`) gets `SIGXFSZ`, which
/// kills it by default, in the middle of an upload. Ignored, the write that
/// crosses the limit fails with `EFBIG` instead, and the upload ends with
/// an error reply like any other failure to store.
pub fn ignore_file_size_signal() {
    // SAFETY: setting a signal to SIG_IGN installs no handler of ours.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}
// ANCHOR_END: ignore_file_size_signal
