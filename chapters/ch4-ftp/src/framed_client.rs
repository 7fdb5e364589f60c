//! The framed protocol, the client's half: one function a command, each
//! sending a request and reading the replies, and writing what a person
//! should see to `out`.
//!
//! The frames, requests and replies are [`crate::framed`]'s. An error
//! reply becomes a [`Rejected`], which ends the command but not the
//! session; a reply out of place is a broken server, which ends both.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use crate::MAX_FILE_SIZE;
use crate::connection::Connection;
use crate::digest::{HashKind, hash_file};
use crate::download::{Download, local_name};
use crate::error::Rejected;
use crate::framed::{Reply, Request};
use crate::progress::Progress;
use crate::send::{SendMethod, send_file_range};

/// An error reply becomes a [`Rejected`]; anything else out of place is a
/// broken server.
fn unexpected(reply: Reply) -> anyhow::Error {
    match reply {
        Reply::Error { code, message } => {
            Rejected(format!("the server says: {message} ({code})")).into()
        }
        other => anyhow!("unexpected reply {:?}", other.encode()),
    }
}

// ANCHOR: framed_get
/// `get NAME`: downloads into `dir`, checked with a digest of `hash`,
/// resuming from `NAME.part` if an earlier attempt left one.
pub fn get(
    conn: &mut Connection,
    name: &str,
    dir: &Path,
    force: bool,
    hash: HashKind,
    out: &mut impl Write,
    progress: &mut dyn Progress,
) -> Result<()> {
    let mut download = Download::begin(dir, name, force, hash)?;
    let have = download.have();
    conn.send(&Request::Get {
        name: name.into(),
        offset: have,
        hash,
    })?;
    let (size, offset, digest) = match conn.reply()? {
        Reply::File {
            size,
            offset,
            digest,
        } => (size, offset, digest),
        other => {
            download.abandon();
            return Err(unexpected(other));
        }
    };
    if size > MAX_FILE_SIZE || offset > size {
        download.abandon();
        bail!("the server announced {size} bytes from {offset}: not believable");
    }
    if HashKind::of_hex(&digest) != Some(hash) {
        download.abandon();
        bail!(
            "asked for a {} digest, the server sent {digest:?}",
            hash.name()
        );
    }
    download.start_at(offset)?;
    if offset > 0 {
        writeln!(out, "resuming {name} at byte {offset}")?;
    }
    progress.start(name);
    let received = download.receive(conn.reader(), size - offset, &mut |n| {
        progress.update(n, size)
    });
    progress.finish();
    if let Err(e) = received {
        return Err(e).with_context(|| {
            format!(
                "get {name}: the transfer broke off; the partial file is kept in {} \
                 and `get {name}` resumes it",
                download.part_path().display()
            )
        });
    }
    let saved = download
        .finish(&digest)
        .with_context(|| format!("get {name}"))?;
    let kind = hash.name();
    writeln!(
        out,
        "saved {} ({size} bytes, {kind} {digest})",
        saved.display()
    )?;
    Ok(())
}
// ANCHOR_END: framed_get

/// `put PATH`: stat and hash the local file, ask, send, check the answer.
pub fn put(conn: &mut Connection, path: &Path, out: &mut impl Write) -> Result<()> {
    let name = local_name(&path.to_string_lossy())?;
    let mut file =
        File::open(path).map_err(|e| Rejected(format!("cannot open {}: {e}", path.display())))?;
    let size = file.metadata()?.len();
    let md5 = hash_file(path)?;
    conn.send(&Request::Put {
        name: name.clone(),
        size,
        md5: md5.clone(),
    })?;
    match conn.reply()? {
        Reply::Ready => {}
        other => return Err(unexpected(other)),
    }
    send_file_range(conn.stream(), &mut file, 0, size, SendMethod::Sendfile)?;
    match conn.reply()? {
        Reply::Done { md5: theirs } if theirs == md5 => {
            writeln!(out, "uploaded {name} ({size} bytes, md5 {md5})")?;
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// `stat NAME`: the size and md5 of a file on the server.
pub fn stat(conn: &mut Connection, name: &str, out: &mut impl Write) -> Result<()> {
    conn.send(&Request::Stat { name: name.into() })?;
    match conn.reply()? {
        Reply::Stat { size, md5 } => writeln!(out, "{name}: {size} bytes, md5 {md5}")?,
        other => return Err(unexpected(other)),
    }
    Ok(())
}

/// `ls [DIR]`: a folder's entries on the server, one a line.
pub fn ls(conn: &mut Connection, dir: &str, out: &mut impl Write) -> Result<()> {
    conn.send(&Request::Ls { dir: dir.into() })?;
    match conn.reply()? {
        Reply::List(entries) => {
            for e in entries {
                let size = e.size.map_or("-".into(), |s| s.to_string());
                // A name is the server's: never raw to the terminal.
                let name = book_support::cli::printable(&e.name);
                writeln!(out, "{} {size:>12} {name}", e.kind)?;
            }
        }
        other => return Err(unexpected(other)),
    }
    Ok(())
}
