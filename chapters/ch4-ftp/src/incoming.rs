//! An upload that has no name until it is whole and checked.
//!
//! A file received over the network should appear under its name complete,
//! with its md5 verified, or not at all. Linux can create a file with no
//! name (`O_TMPFILE`) in a folder: the bytes go into it, nobody can list,
//! open or fetch it meanwhile, and if the transfer fails, or the server is
//! killed, the file vanishes with its last descriptor. `linkat` gives it
//! its name at the end, and fails if the name is taken, so an upload never
//! replaces a file.
//!
//! Everything happens relative to the folder's descriptor, which
//! [`crate::beneath`] opened under the root, so no path is resolved twice.
//!
//! Some file systems have no `O_TMPFILE`. There the file is created under a
//! temporary name starting with [`UPLOAD_PREFIX`], with `O_EXCL`, and
//! renamed by linking at the end; the server neither lists nor serves such
//! names, and removes the file on every path that does not publish it.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, CWD, Mode, OFlags, linkat, openat, unlinkat};
use rustix::io::Errno;

/// The start of a temporary upload's name, where a file system has no
/// `O_TMPFILE`. The server never lists or serves a name that starts so.
pub const UPLOAD_PREFIX: &str = ".upload-";

/// The permissions of an uploaded file (before the umask).
const MODE: u32 = 0o644;

/// A file being received into a folder, not yet under its name.
#[derive(Debug)]
pub struct Incoming {
    dir: OwnedFd,
    file: File,
    /// The temporary name, where the file has one (no `O_TMPFILE`).
    temp_name: Option<String>,
}

impl Incoming {
    // ANCHOR: create
    /// A new, empty, nameless file in the folder `dir`; or, where the file
    /// system cannot make one, a file with a fresh temporary name.
    pub fn create(dir: OwnedFd) -> io::Result<Incoming> {
        let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
        match openat(&dir, ".", flags, Mode::from_raw_mode(MODE)) {
            // Linking a nameless file needs /proc (see `publish`).
            Ok(fd) if Path::new("/proc/self/fd").is_dir() => Ok(Incoming {
                dir,
                file: File::from(fd),
                temp_name: None,
            }),
            // No O_TMPFILE on this file system (or kernel), or no /proc.
            Ok(_) | Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => Self::create_named(dir),
            Err(e) => Err(e.into()),
        }
    }
    // ANCHOR_END: create

    /// A new, empty file in `dir` under a temporary name no other file has.
    pub fn create_named(dir: OwnedFd) -> io::Result<Incoming> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let flags =
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("{UPLOAD_PREFIX}{}-{n}", std::process::id());
            match openat(&dir, name.as_str(), flags, Mode::from_raw_mode(MODE)) {
                Ok(fd) => {
                    return Ok(Incoming {
                        dir,
                        file: File::from(fd),
                        temp_name: Some(name),
                    });
                }
                // Left by an earlier server with the same pid: next number.
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The file, to write the bytes into.
    pub fn file(&self) -> &File {
        &self.file
    }

    // ANCHOR: publish
    /// Gives the file its name `name` in the folder. Fails with
    /// [`io::ErrorKind::AlreadyExists`] if something has that name: an
    /// upload never replaces a file.
    pub fn publish(mut self, name: &OsStr) -> io::Result<()> {
        match self.temp_name.take() {
            // A nameless file is reached through its descriptor's entry in
            // /proc, which `AT_SYMLINK_FOLLOW` follows to the file itself.
            None => {
                let fd = format!("/proc/self/fd/{}", self.file.as_raw_fd());
                linkat(CWD, fd.as_str(), &self.dir, name, AtFlags::SYMLINK_FOLLOW)?;
            }
            Some(temp) => {
                let linked = linkat(&self.dir, temp.as_str(), &self.dir, name, AtFlags::empty());
                let _ = unlinkat(&self.dir, temp.as_str(), AtFlags::empty());
                linked?;
            }
        }
        Ok(())
    }
    // ANCHOR_END: publish
}

impl Drop for Incoming {
    /// An upload that was never published leaves nothing behind.
    fn drop(&mut self) {
        if let Some(temp) = self.temp_name.take() {
            let _ = unlinkat(&self.dir, temp.as_str(), AtFlags::empty());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::io::Write;

    fn folder() -> (tempfile::TempDir, OwnedFd) {
        let tmp = tempfile::tempdir().unwrap();
        let fd = File::open(tmp.path()).unwrap().into();
        (tmp, fd)
    }

    fn names(tmp: &tempfile::TempDir) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_kinds_appear_only_when_published_and_never_replace() {
        type Create = fn(OwnedFd) -> io::Result<Incoming>;
        for create in [Incoming::create as Create, Incoming::create_named] {
            let (tmp, fd) = folder();
            fs::write(tmp.path().join("taken"), b"old").unwrap();
            let dir = || fd.try_clone().unwrap();

            let upload = create(dir()).unwrap();
            upload.file().write_all(b"new").unwrap();
            upload.publish(OsStr::new("fresh")).unwrap();
            assert_eq!(fs::read(tmp.path().join("fresh")).unwrap(), b"new");

            let upload = create(dir()).unwrap();
            upload.file().write_all(b"new").unwrap();
            let err = upload.publish(OsStr::new("taken")).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
            assert_eq!(fs::read(tmp.path().join("taken")).unwrap(), b"old");

            let upload = create(dir()).unwrap();
            upload.file().write_all(b"abandoned").unwrap();
            drop(upload);
            assert_eq!(names(&tmp), ["fresh", "taken"]);
        }
    }

    #[test]
    fn a_nameless_upload_is_invisible_while_it_is_received() {
        let (tmp, fd) = folder();
        let upload = Incoming::create(fd).unwrap();
        upload.file().write_all(b"half of it").unwrap();
        // On a file system without O_TMPFILE the file has a temporary name.
        let seen = names(&tmp);
        assert!(
            seen.is_empty() || (seen.len() == 1 && seen[0].starts_with(UPLOAD_PREFIX)),
            "{seen:?}"
        );
    }
}
