//! The framed protocol, the server's half: read a request frame, answer
//! with a reply frame, and for `get` and `put` the file's bytes after it.
//!
//! The frames, requests and replies are [`crate::framed`]'s. A request the
//! server refuses gets an error reply and the connection goes on; only a
//! frame too large to skip ends it.

use std::io::{self, BufReader, Write};
use std::net::TcpStream;

use md5::{Digest, Md5};
use rustix::fs::{AtFlags, Dir, FileType, statat};

use crate::MAX_FILE_SIZE;
use crate::digest::{HashKind, hex};
use crate::exact::recv_exact_hashed;
use crate::framed::{Entry, FrameError, MAX_REQUEST, Reply, Request, read_frame, send_reply};
use crate::incoming::Incoming;
use crate::safety::{Refusal, is_upload_in_progress};
use crate::send::send_file_range;
use crate::state::{Server, peer};

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
            Request::Get { name, offset, hash } => {
                send_file(&mut output, server, &who, &name, offset, hash)?
            }
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
    hash: HashKind,
) -> io::Result<()> {
    let (mut file, meta) = match server.root.open_file(name) {
        Ok(found) => found,
        Err(refusal) => return send_reply(out, &refuse(server, who, "get", name, &refusal)),
    };
    let digest = server.digests.digest_of_kind(&file, hash)?;
    let size = meta.len();
    let offset = if offset > size { 0 } else { offset };
    send_reply(
        out,
        &Reply::File {
            size,
            offset,
            digest,
        },
    )?;
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
