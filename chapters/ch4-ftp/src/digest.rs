//! Digests: of a file, in constant memory, and remembered; md5 as the
//! article has it, or BLAKE3 when a client asks for it.
//!
//! Hashing a file costs one pass over it at the speed of the hash: md5
//! runs at about 640 MB/s with the `md-5` crate on the book's machine,
//! BLAKE3 at several GB/s. A server that sends the digest *before* the
//! data must hash first; the [`DigestCache`] makes that a one-time cost per
//! version of a file and kind of digest.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, ErrorKind, Read};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::sync::Mutex;

use md5::{Digest, Md5};

use crate::CHUNK;

// ANCHOR: hash_kind
/// Which digest checks a download, chosen per request. md5 is the
/// article's, and the default; BLAKE3 is what a new protocol would choose
/// (the book's page on chapter 4's measurements says why).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum HashKind {
    /// MD5: 128 bits, 32 hex digits. Fine against accidents, broken
    /// against an attacker.
    #[default]
    Md5,
    /// BLAKE3: 256 bits, 64 hex digits.
    Blake3,
}

impl HashKind {
    /// The name on the wire and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            HashKind::Md5 => "md5",
            HashKind::Blake3 => "blake3",
        }
    }

    /// The kind a name on the wire stands for.
    pub fn from_name(name: &str) -> Option<HashKind> {
        match name {
            "md5" => Some(HashKind::Md5),
            "blake3" => Some(HashKind::Blake3),
            _ => None,
        }
    }

    /// The kind of a digest in hex, told by its length (32 or 64 lowercase
    /// hex digits); `None` for anything else.
    pub fn of_hex(text: &str) -> Option<HashKind> {
        let hex = text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        match text.len() {
            32 if hex => Some(HashKind::Md5),
            64 if hex => Some(HashKind::Blake3),
            _ => None,
        }
    }
}
// ANCHOR_END: hash_kind

/// Something bytes are fed to, a piece at a time: md5 itself, or a
/// [`Hasher`] of either kind.
pub trait Feed {
    /// Takes the next bytes.
    fn feed(&mut self, bytes: &[u8]);
}

impl Feed for Md5 {
    fn feed(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// A digest being computed, of the kind a request chose.
#[derive(Debug, Clone)]
pub enum Hasher {
    /// md5, as the article computes it.
    Md5(Md5),
    /// BLAKE3 (boxed: its state is about 2 KB).
    Blake3(Box<blake3::Hasher>),
}

impl Hasher {
    /// A new, empty digest of `kind`.
    pub fn new(kind: HashKind) -> Hasher {
        match kind {
            HashKind::Md5 => Hasher::Md5(Md5::new()),
            HashKind::Blake3 => Hasher::Blake3(Box::default()),
        }
    }

    /// The digest in lowercase hex.
    pub fn hex(self) -> String {
        match self {
            Hasher::Md5(md5) => hex(md5),
            Hasher::Blake3(b) => b.finalize().to_hex().to_string(),
        }
    }
}

impl Feed for Hasher {
    fn feed(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Md5(md5) => md5.update(bytes),
            Hasher::Blake3(b) => {
                b.update(bytes);
            }
        }
    }
}

/// The lowercase hex form of a digest, as the article sends it.
pub fn hex(md5: Md5) -> String {
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds the first `len` bytes of `file` (from where it stands) to `hash`.
pub fn hash_prefix(file: &mut impl Read, len: u64, hash: &mut impl Feed) -> io::Result<()> {
    let mut buf = vec![0; CHUNK];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = file.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                ErrorKind::UnexpectedEof,
                "the file got shorter",
            ));
        }
        hash.feed(&buf[..n]);
        left -= n as u64;
    }
    Ok(())
}

/// The md5 of a whole file, in hex.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut md5 = Md5::new();
    hash_prefix(&mut file, len, &mut md5)?;
    Ok(hex(md5))
}

// ANCHOR: version
/// What identifies one version of a file's bytes: the same size, the same
/// modification time and the same change time (ctime) mean the same bytes.
/// A program can set a file's mtime back after rewriting it, but not its
/// ctime: every write and every change of the mtime moves the ctime to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Version {
    fn of(meta: &Metadata) -> Self {
        Version {
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}
// ANCHOR_END: version

/// Which file: its device and inode, whatever name it was opened by.
type FileId = (u64, u64);

/// Digests the server has computed, by file, version and kind.
#[derive(Debug, Default)]
pub struct DigestCache {
    known: Mutex<HashMap<(FileId, HashKind), (Version, String)>>,
}

impl DigestCache {
    /// The md5 of the open `file`, computed only if this version of the
    /// file has not been hashed before.
    pub fn digest(&self, file: &File) -> io::Result<String> {
        self.digest_of_kind(file, HashKind::Md5)
    }

    /// The digest of `kind` of the open `file`, computed only if this
    /// version of the file has not been hashed so before.
    pub fn digest_of_kind(&self, file: &File, kind: HashKind) -> io::Result<String> {
        let meta = file.metadata()?;
        let (id, version) = ((meta.dev(), meta.ino()), Version::of(&meta));
        if let Ok(known) = self.known.lock()
            && let Some((v, digest)) = known.get(&(id, kind))
            && *v == version
        {
            return Ok(digest.clone());
        }
        // Hash the very file that will be sent (not whatever the path names
        // now), with positional reads that leave its file position alone.
        let mut hasher = Hasher::new(kind);
        hash_prefix(&mut ReadAt { file, pos: 0 }, version.len, &mut hasher)?;
        let digest = hasher.hex();
        if let Ok(mut known) = self.known.lock() {
            known.insert((id, kind), (version, digest.clone()));
        }
        Ok(digest)
    }
}

/// Reads a file with `pread`, from its own position, leaving the file's.
struct ReadAt<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_give_the_known_digests_of_a_known_text() {
        let text = b"The quick brown fox jumps over the lazy dog";
        let mut md5 = Hasher::new(HashKind::Md5);
        md5.feed(text);
        assert_eq!(md5.hex(), "9e107d9d372bb6826bd81d3542a419d6");
        // Fed in pieces, the same digest as all at once.
        let mut blake3 = Hasher::new(HashKind::Blake3);
        for piece in text.chunks(5) {
            blake3.feed(piece);
        }
        assert_eq!(blake3.hex(), blake3::hash(text).to_hex().to_string());
        assert_eq!(
            HashKind::of_hex(&blake3::hash(text).to_hex()),
            Some(HashKind::Blake3)
        );
    }

    #[test]
    fn a_digest_is_told_by_its_length_and_lowercase_hex() {
        assert_eq!(HashKind::of_hex(&"a".repeat(32)), Some(HashKind::Md5));
        assert_eq!(HashKind::of_hex(&"0".repeat(64)), Some(HashKind::Blake3));
        assert_eq!(HashKind::of_hex(&"A".repeat(32)), None);
        assert_eq!(HashKind::of_hex(&"a".repeat(40)), None);
        assert_eq!(HashKind::of_hex("g".repeat(32).as_str()), None);
    }
}
