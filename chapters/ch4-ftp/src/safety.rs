//! Serving only what is under the root.
//!
//! A name from the network is hostile until proven otherwise. `../x`,
//! `/etc/passwd` and a symlink that points out of the folder all name files
//! the server was never asked to share. The rules here: refuse a name that
//! is empty, absolute or has a `..` component, by its text alone; then open
//! it relative to the root's descriptor, refusing any symbolic link on the
//! way ([`crate::beneath`]), so that the name is checked and opened in one
//! step that nobody can slip a swap into. Only regular files are served.

use std::ffi::OsString;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, OFlags, statat};

use crate::beneath::open_beneath;
use crate::incoming::UPLOAD_PREFIX;

/// Why a request was refused. Each has a short code for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The name is empty.
    Empty,
    /// The name is an absolute path.
    Absolute,
    /// The name has a `..` component.
    ParentDir,
    /// The name has a byte the server will not put in a path (NUL).
    BadByte,
    /// A new name has a control character (a newline, an escape...), which
    /// would forge lines or terminal codes wherever the name is printed.
    ControlChar,
    /// The name would lead outside the root.
    Outside,
    /// The path goes through a symbolic link, which the server never
    /// follows (even one that stays inside: it could be swapped).
    Symlink,
    /// The name is kept for uploads in progress.
    Reserved,
    /// Nothing has that name.
    NotFound,
    /// The name is not a regular file (a directory, a FIFO, a device...).
    NotRegular,
    /// The name is not a directory (for `ls`).
    NotDirectory,
    /// The file to create already exists.
    Exists,
    /// Any other failure to look the name up.
    Io(String),
}

impl Refusal {
    /// The code the framed protocol sends: `not-found` is the peer's
    /// mistake, `refused` is a safety rule, the rest say what is wrong.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotFound => "not-found",
            Refusal::NotRegular => "not-a-file",
            Refusal::NotDirectory => "not-a-directory",
            Refusal::Exists => "exists",
            Refusal::Io(_) => "io",
            _ => "refused",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Empty => write!(f, "empty file name"),
            Refusal::Absolute => write!(f, "absolute paths are not allowed"),
            Refusal::ParentDir => write!(f, "`..` is not allowed in a path"),
            Refusal::BadByte => write!(f, "the name contains a NUL byte"),
            Refusal::ControlChar => write!(
                f,
                "the name contains a control character (a newline, an escape, ...)"
            ),
            Refusal::Outside => write!(f, "the path leads outside the served folder"),
            Refusal::Symlink => write!(
                f,
                "the path goes through a symbolic link, and this server follows none"
            ),
            Refusal::Reserved => write!(f, "names starting with {UPLOAD_PREFIX} are reserved"),
            Refusal::NotFound => write!(f, "no such file"),
            Refusal::NotRegular => write!(f, "not a regular file"),
            Refusal::NotDirectory => write!(f, "not a directory"),
            Refusal::Exists => write!(f, "the file already exists"),
            Refusal::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// What an error from opening a name under the root means for the peer.
fn from_io(e: io::Error) -> Refusal {
    match e.raw_os_error() {
        Some(libc::ELOOP) => Refusal::Symlink,
        Some(libc::EXDEV) => Refusal::Outside,
        Some(libc::ENOENT | libc::ENOTDIR) => Refusal::NotFound,
        _ => Refusal::Io(e.to_string()),
    }
}

/// The served folder: its name, for messages, and an open descriptor,
/// relative to which every request is opened.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
    fd: OwnedFd,
}

impl Root {
    /// Opens the folder `dir` once; it stays the same folder even if its
    /// name is later moved or swapped.
    pub fn new(dir: &Path) -> io::Result<Root> {
        let dir = dir.canonicalize()?;
        let folder = File::open(&dir)?;
        if !folder.metadata()?.is_dir() {
            return Err(io::Error::new(
                ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(Root {
            dir,
            fd: folder.into(),
        })
    }

    /// The folder's name, as it was when the server started.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ANCHOR: open
    /// Opens a requested name under the root with `flags`, after the
    /// textual rules. `""` and `"."` name the root itself.
    pub fn open(&self, requested: &str, flags: OFlags) -> Result<OwnedFd, Refusal> {
        let relative = check_relative(requested)?;
        open_beneath(self.fd.as_fd(), relative, flags).map_err(from_io)
    }
    // ANCHOR_END: open

    // ANCHOR: open_file
    /// Opens a regular file under the root for reading.
    ///
    /// `O_NONBLOCK` keeps a FIFO from blocking the open (a FIFO's open
    /// waits for a writer). What was opened is then checked: only a
    /// regular file is served.
    pub fn open_file(&self, requested: &str) -> Result<(File, Metadata), Refusal> {
        if requested.is_empty() {
            return Err(Refusal::Empty);
        }
        if is_upload_in_progress(requested) {
            return Err(Refusal::NotFound);
        }
        let fd = self.open(requested, OFlags::RDONLY | OFlags::NONBLOCK)?;
        let file = File::from(fd);
        let meta = file.metadata().map_err(from_io)?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular);
        }
        Ok((file, meta))
    }
    // ANCHOR_END: open_file

    /// Opens a folder under the root (for `ls`, and as the place of a new
    /// file).
    pub fn open_dir(&self, requested: &str) -> Result<OwnedFd, Refusal> {
        self.open(requested, OFlags::RDONLY | OFlags::DIRECTORY)
            .map_err(|refusal| match refusal {
                Refusal::NotFound if self.open(requested, OFlags::PATH).is_ok() => {
                    Refusal::NotDirectory
                }
                other => other,
            })
    }

    // ANCHOR: new_file
    /// Where a new file named `requested` would go (for `put`): the folder
    /// it goes in, opened under the root, and its name there. The name must
    /// be a plain one with no control character, and free.
    pub fn new_file(&self, requested: &str) -> Result<(OwnedFd, OsString), Refusal> {
        let relative = check_relative(requested)?;
        if requested.chars().any(char::is_control) {
            return Err(Refusal::ControlChar);
        }
        let Some(Component::Normal(name)) = relative.components().next_back() else {
            return Err(Refusal::Empty);
        };
        if is_upload_in_progress(requested) {
            return Err(Refusal::Reserved);
        }
        let parent = relative.parent().unwrap_or(Path::new(""));
        let folder = self.open_dir(&parent.to_string_lossy())?;
        match statat(&folder, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(_) => Err(Refusal::Exists),
            Err(rustix::io::Errno::NOENT) => Ok((folder, name.to_owned())),
            Err(e) => Err(Refusal::Io(io::Error::from(e).to_string())),
        }
    }
    // ANCHOR_END: new_file
}

/// Is the last component of `name` the temporary name of an upload still
/// being received? Such a file is neither listed nor served.
pub fn is_upload_in_progress(name: &str) -> bool {
    Path::new(name)
        .file_name()
        .is_some_and(|last| last.to_string_lossy().starts_with(UPLOAD_PREFIX))
}

// ANCHOR: check_relative
/// The purely textual rules, before the file system is asked anything.
pub fn check_relative(requested: &str) -> Result<&Path, Refusal> {
    if requested.contains('\0') {
        return Err(Refusal::BadByte);
    }
    let path = Path::new(requested);
    for component in path.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => return Err(Refusal::Absolute),
            Component::ParentDir => return Err(Refusal::ParentDir),
            Component::CurDir | Component::Normal(_) => {}
        }
    }
    Ok(path)
}
// ANCHOR_END: check_relative
