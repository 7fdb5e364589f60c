//! Serving only what is under the root.
//!
//! A name from the network is hostile until proven otherwise. `../x`,
//! `/etc/passwd` and a symlink that points out of the folder all name files
//! the server was never asked to share. The rule here: refuse a name that is
//! empty, absolute or has a `..` component; then let the operating system
//! resolve every symlink (`canonicalize`) and refuse the result unless it
//! still lies under the (canonical) root. Only regular files are served.

use std::fmt;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

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
    /// The name resolves (through a symlink) to somewhere outside the root.
    Outside,
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
            Refusal::NotFound => write!(f, "no such file"),
            Refusal::NotRegular => write!(f, "not a regular file"),
            Refusal::NotDirectory => write!(f, "not a directory"),
            Refusal::Exists => write!(f, "the file already exists"),
            Refusal::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Refusal {}

fn from_io(e: io::Error) -> Refusal {
    match e.kind() {
        ErrorKind::NotFound => Refusal::NotFound,
        ErrorKind::NotADirectory => Refusal::NotFound,
        _ => Refusal::Io(e.to_string()),
    }
}

/// The served folder.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// The folder `dir`, resolved once, so that comparisons with resolved
    /// paths are fair (the root itself may be reached through a symlink).
    pub fn new(dir: &Path) -> io::Result<Root> {
        let dir = dir.canonicalize()?;
        if !dir.is_dir() {
            return Err(io::Error::new(
                ErrorKind::NotADirectory,
                format!("{} is not a directory", dir.display()),
            ));
        }
        Ok(Root { dir })
    }

    /// The resolved folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ANCHOR: resolve
    /// Resolves a requested name to an existing path under the root.
    /// `""` and `"."` name the root itself.
    pub fn resolve(&self, requested: &str) -> Result<PathBuf, Refusal> {
        let relative = check_relative(requested)?;
        let resolved = self.dir.join(relative).canonicalize().map_err(from_io)?;
        if !resolved.starts_with(&self.dir) {
            return Err(Refusal::Outside);
        }
        Ok(resolved)
    }
    // ANCHOR_END: resolve

    // ANCHOR: open_file
    /// Opens a regular file under the root for reading.
    ///
    /// `O_NONBLOCK` keeps a FIFO swapped in after the check from blocking the
    /// open (a FIFO's open waits for a writer); `O_NOFOLLOW` refuses a last
    /// component that became a symlink after `resolve`. The opened file is
    /// checked again, because the check and the open are two moments.
    pub fn open_file(&self, requested: &str) -> Result<(PathBuf, File, Metadata), Refusal> {
        if requested.is_empty() {
            return Err(Refusal::Empty);
        }
        let path = self.resolve(requested)?;
        if !path.metadata().map_err(from_io)?.is_file() {
            return Err(Refusal::NotRegular);
        }
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(&path)
            .map_err(from_io)?;
        let meta = file.metadata().map_err(from_io)?;
        if !meta.is_file() {
            return Err(Refusal::NotRegular);
        }
        Ok((path, file, meta))
    }
    // ANCHOR_END: open_file

    /// Resolves a folder under the root (for `ls`).
    pub fn resolve_dir(&self, requested: &str) -> Result<PathBuf, Refusal> {
        let path = self.resolve(requested)?;
        if !path.is_dir() {
            return Err(Refusal::NotDirectory);
        }
        Ok(path)
    }

    /// Where a new file named `requested` would go (for `put`): its folder
    /// must resolve under the root, its last component must be a plain
    /// name with no control character, and nothing may have that name yet.
    pub fn new_file_path(&self, requested: &str) -> Result<PathBuf, Refusal> {
        let relative = check_relative(requested)?;
        if requested.chars().any(char::is_control) {
            return Err(Refusal::ControlChar);
        }
        let Some(Component::Normal(name)) = relative.components().next_back() else {
            return Err(Refusal::Empty);
        };
        let parent = relative.parent().unwrap_or(Path::new(""));
        let dir = self.resolve_dir(&parent.to_string_lossy())?;
        let path = dir.join(name);
        match path.symlink_metadata() {
            Ok(_) => Err(Refusal::Exists),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(path),
            Err(e) => Err(from_io(e)),
        }
    }
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
