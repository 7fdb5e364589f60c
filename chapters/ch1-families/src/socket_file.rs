//! The file a Unix domain socket leaves behind.
//!
//! `bind` on a path creates a file of type *socket* (`ls -l` shows an `s`).
//! Closing the socket does not remove it: the file stays until someone
//! unlinks it, and the next `bind` on that path fails with `EADDRINUSE`,
//! "Address already in use", although nobody uses it. So a Unix server
//! removes its file when it stops, and removes a *stale* one (left by a
//! server that crashed or was killed) before it binds.
//!
//! "Remove the file before binding" is easy to get dangerously wrong. Two
//! checks make it safe:
//!
//! 1. Only a socket is removed. A typo in `--path` must not delete a
//!    document.
//! 2. Only a *dead* socket is removed. Deleting the file of a running server
//!    does not stop that server, but makes it unreachable. So we first try to
//!    connect: refused means nobody is bound there.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use socket2::{Domain, SockAddr, Socket, Type};

/// What [`remove_stale_socket`] found at the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stale {
    /// Nothing was there.
    Nothing,
    /// A socket file nobody was bound to; it is gone now.
    Removed,
}

// ANCHOR: remove_stale
/// Makes `path` free for `bind` by removing a socket file that a dead server
/// left behind. Refuses to remove anything else.
pub fn remove_stale_socket(path: &Path) -> Result<Stale> {
    let shown = path.display();
    let metadata = match fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Stale::Nothing),
        Err(err) => return Err(err).with_context(|| format!("cannot look at {shown}")),
    };
    if !metadata.file_type().is_socket() {
        bail!("{shown} exists and is not a socket; not removing it (choose another --path)");
    }
    if someone_is_bound_to(path)? {
        bail!("another program is serving on {shown}; stop it first or choose another --path");
    }
    fs::remove_file(path).with_context(|| format!("cannot remove the stale socket {shown}"))?;
    Ok(Stale::Removed)
}

/// Is a live socket bound to this socket file? We try to connect a stream
/// socket: a dead file refuses (`ECONNREFUSED`); a live listener accepts,
/// or is too busy to (`EAGAIN`); a live socket of another type says
/// `EPROTOTYPE`. Non-blocking, so a full listener cannot make us wait.
fn someone_is_bound_to(path: &Path) -> Result<bool> {
    let address = SockAddr::unix(path).context("not a valid socket path")?;
    let probe = Socket::new(Domain::UNIX, Type::STREAM.nonblocking(), None)
        .context("cannot create a socket to test the stale file")?;
    match probe.connect(&address) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => Ok(false),
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(true),
        Err(err) if err.raw_os_error() == Some(libc::EPROTOTYPE) => Ok(true),
        Err(err) => {
            Err(err).with_context(|| format!("cannot tell whether {} is in use", path.display()))
        }
    }
}
// ANCHOR_END: remove_stale

/// A socket file this program created, removed when the value is dropped.
///
/// It remembers which file it created (device and inode number), so it
/// never removes a file that someone else has put at the same path since.
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    identity: (u64, u64),
}

impl SocketFile {
    /// Takes charge of the socket file just created by `bind` at `path`.
    pub fn created_at(path: &Path) -> io::Result<SocketFile> {
        let metadata = fs::symlink_metadata(path)?;
        Ok(SocketFile {
            path: path.to_path_buf(),
            identity: (metadata.dev(), metadata.ino()),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A plain description of the file, for a thread that must remove it
    /// from outside this value (see [`crate::stop`]).
    pub fn handle(&self) -> SocketFileHandle {
        SocketFileHandle {
            path: self.path.clone(),
            identity: self.identity,
        }
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        self.handle().remove();
    }
}

/// What is needed to remove a [`SocketFile`] from another thread.
#[derive(Debug, Clone)]
pub struct SocketFileHandle {
    path: PathBuf,
    identity: (u64, u64),
}

impl SocketFileHandle {
    /// Removes the file if it is still the one we created. Returns whether
    /// it did; errors are not worth reporting at this point.
    pub fn remove(&self) -> bool {
        match fs::symlink_metadata(&self.path) {
            Ok(m) if (m.dev(), m.ino()) == self.identity => fs::remove_file(&self.path).is_ok(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::{UnixDatagram, UnixListener};

    #[test]
    fn a_closed_socket_leaves_its_file_and_blocks_the_next_bind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "closing a socket does not remove its file");
        let err = UnixListener::bind(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn a_stale_socket_is_removed_and_the_path_can_be_bound_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        drop(UnixDatagram::bind(&path).unwrap());
        assert_eq!(remove_stale_socket(&path).unwrap(), Stale::Removed);
        UnixListener::bind(&path).unwrap();
    }

    #[test]
    fn nothing_there_is_nothing_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("none.sock");
        assert_eq!(remove_stale_socket(&path).unwrap(), Stale::Nothing);
    }

    #[test]
    fn a_regular_file_is_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        fs::write(&path, "precious").unwrap();
        let err = remove_stale_socket(&path).unwrap_err();
        assert!(err.to_string().contains("is not a socket"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
    }

    #[test]
    fn a_live_socket_of_any_type_is_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let stream = dir.path().join("stream.sock");
        let _listener = UnixListener::bind(&stream).unwrap();
        let dgram = dir.path().join("dgram.sock");
        let _datagram = UnixDatagram::bind(&dgram).unwrap();
        for path in [&stream, &dgram] {
            let err = remove_stale_socket(path).unwrap_err();
            assert!(err.to_string().contains("another program"), "{err}");
            assert!(path.exists());
        }
    }

    #[test]
    fn the_guard_removes_its_own_file_but_not_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        let guard = SocketFile::created_at(&path).unwrap();
        drop(socket);
        drop(guard);
        assert!(!path.exists());

        let _first = UnixDatagram::bind(&path).unwrap();
        let guard = SocketFile::created_at(&path).unwrap();
        fs::remove_file(&path).unwrap();
        let _second = UnixDatagram::bind(&path).unwrap();
        drop(guard);
        assert!(path.exists(), "another program's file must stay");
    }
}
