//! Opening a name under a folder, without ever leaving it.
//!
//! Checking a path and then opening it are two moments. Between them,
//! another user who can write in the served folder can swap a subfolder for
//! a symbolic link to somewhere else (`rename` can exchange two names
//! atomically), and an open by path follows the link. A check that passed
//! proves nothing about the open that comes after it.
//!
//! The cure is to make the check and the open one step, done by the kernel:
//! hold the folder open (a directory descriptor) and resolve every name
//! relative to it, refusing any symbolic link on the way. Linux 5.6 and
//! later do exactly that in one call, `openat2` with `RESOLVE_BENEATH` and
//! `RESOLVE_NO_SYMLINKS`. Where `openat2` is missing (older kernels, some
//! container sandboxes), [`open_by_walking`] opens one component at a
//! time, each relative to the folder opened before it and each with
//! `O_NOFOLLOW`, which gives the same guarantee in more system calls.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path};

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags, fstat, openat, openat2};
use rustix::io::Errno;

// ANCHOR: open_beneath
/// Opens `path` (relative, no `..`) under the folder `dir` with `flags`.
///
/// Fails with `ELOOP` if any component is a symbolic link, and with
/// `EXDEV` if the path would leave `dir` in any other way.
pub fn open_beneath(dir: BorrowedFd<'_>, path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
    let flags = flags | OFlags::CLOEXEC;
    // openat2 wants "." for the folder itself, where our callers say "".
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    for _ in 0..3 {
        match openat2(dir, path, flags, Mode::empty(), resolve) {
            // No openat2 here (ENOSYS), or a sandbox that forbids it (EPERM).
            Err(Errno::NOSYS | Errno::PERM) => return open_by_walking(dir, path, flags),
            // The kernel saw a rename race it could not rule out: try again.
            Err(Errno::AGAIN) => continue,
            result => return result.map_err(io::Error::from),
        }
    }
    Err(io::Error::from(Errno::AGAIN))
}
// ANCHOR_END: open_beneath

// ANCHOR: open_by_walking
/// The same as [`open_beneath`], one component at a time. Each component
/// is looked at relative to the folder opened before it, with `O_PATH`
/// (which opens nothing for reading, so a FIFO cannot block it) and
/// `O_NOFOLLOW` (which takes a symbolic link as it is): a link anywhere on
/// the way fails with `ELOOP` instead of being followed. The last one is
/// then opened for real, still with `O_NOFOLLOW`.
pub fn open_by_walking(dir: BorrowedFd<'_>, path: &Path, flags: OFlags) -> io::Result<OwnedFd> {
    let mut here: Option<OwnedFd> = None;
    let mut names = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .peekable();
    if names.peek().is_none() {
        // "" or ".": the folder itself.
        return Ok(openat(dir, ".", flags | OFlags::CLOEXEC, Mode::empty())?);
    }
    while let Some(component) = names.next() {
        let Component::Normal(name) = component else {
            return Err(Errno::XDEV.into()); // `..` or `/`: the text rules refuse these first
        };
        let at = here.as_ref().map_or(dir, |fd| fd.as_fd());
        let look = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let found = openat(at, name, look, Mode::empty())?;
        if FileType::from_raw_mode(fstat(&found)?.st_mode) == FileType::Symlink {
            return Err(Errno::LOOP.into());
        }
        if names.peek().is_none() {
            let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            return Ok(openat(at, name, flags, Mode::empty())?);
        }
        here = Some(found);
    }
    unreachable!("the loop returns at the last component")
}
// ANCHOR_END: open_by_walking

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::symlink;

    /// Both ways of opening give the same answers.
    #[test]
    fn both_ways_refuse_symlinks_and_open_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/a.txt"), b"a").unwrap();
        fs::write(tmp.path().join("outside.txt"), b"x").unwrap();
        symlink("sub", root.join("link")).unwrap();
        symlink("../outside.txt", root.join("out")).unwrap();
        let dir = fs::File::open(&root).unwrap();
        let read = OFlags::RDONLY;
        for open in [open_beneath, open_by_walking] {
            let code = |p: &str| {
                open(dir.as_fd(), Path::new(p), read)
                    .err()
                    .map(|e| e.raw_os_error())
            };
            assert_eq!(code("sub/a.txt"), None);
            assert_eq!(code("./sub/./a.txt"), None);
            assert_eq!(code(""), None);
            assert_eq!(code("link/a.txt"), Some(Some(libc::ELOOP)));
            assert_eq!(code("link"), Some(Some(libc::ELOOP)));
            assert_eq!(code("out"), Some(Some(libc::ELOOP)));
            assert_eq!(code("missing"), Some(Some(libc::ENOENT)));
            assert_eq!(code("sub/a.txt/x"), Some(Some(libc::ENOTDIR)));
            let folder = |p: &str| {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY;
                open(dir.as_fd(), Path::new(p), flags)
                    .err()
                    .map(|e| e.raw_os_error())
            };
            assert_eq!(folder("sub"), None);
            assert_eq!(folder("link"), Some(Some(libc::ELOOP)));
            assert_eq!(folder("sub/a.txt"), Some(Some(libc::ENOTDIR)));
        }
    }
}
