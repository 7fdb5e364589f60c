//! A download that never leaves a half file under the final name.
//!
//! Bytes go to `NAME.part` in the target folder. Only when every byte has
//! arrived and the md5 matches is the part file given its final name, and
//! then without overwriting anything unless asked (`--force`). A download
//! cut short keeps its `NAME.part`, so the next `get NAME` can resume.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::digest::{HashKind, Hasher, hash_prefix};
use crate::error::Rejected;
use crate::pipeline::{Writer, recv_exact_pipelined};

/// A download in progress.
#[derive(Debug)]
pub struct Download {
    part: PathBuf,
    target: PathBuf,
    file: File,
    hash: Hasher,
    have: u64,
    force: bool,
}

/// The local name for a remote one: its last component, which must be a
/// plain file name (the server never chooses where we write).
pub fn local_name(remote: &str) -> Result<String> {
    match Path::new(remote).components().next_back() {
        Some(Component::Normal(name)) => Ok(name.to_string_lossy().into_owned()),
        _ => bail!("`{remote}` does not end in a file name"),
    }
}

// ANCHOR: begin
impl Download {
    /// Prepares to download `remote` into `dir`, checked with a digest of
    /// `kind`. Refuses at once if the final name exists and `force` is not
    /// set; otherwise opens (or creates) `NAME.part`, whose length is where
    /// a resume would start.
    pub fn begin(dir: &Path, remote: &str, force: bool, kind: HashKind) -> Result<Download> {
        let name = local_name(remote)?;
        let target = dir.join(&name);
        if !force && target.symlink_metadata().is_ok() {
            let message = format!("{} exists (use --force to overwrite it)", target.display());
            return Err(Rejected(message).into());
        }
        let part = dir.join(format!("{name}.part"));
        let file = open_part(&part)?;
        let have = file.metadata()?.len();
        Ok(Download {
            part,
            target,
            file,
            hash: Hasher::new(kind),
            have,
            force,
        })
    }
    // ANCHOR_END: begin

    /// The kind of digest the download is checked with.
    pub fn kind(&self) -> HashKind {
        match self.hash {
            Hasher::Md5(_) => HashKind::Md5,
            Hasher::Blake3(_) => HashKind::Blake3,
        }
    }

    /// How many bytes a previous attempt left in the part file.
    pub fn have(&self) -> u64 {
        self.have
    }

    /// The part file's path.
    pub fn part_path(&self) -> &Path {
        &self.part
    }

    // ANCHOR: start_at
    /// Continues from `offset`, the point the server agreed to start at
    /// (at most [`Download::have`]): the kept prefix is hashed, anything
    /// after it is cut off.
    pub fn start_at(&mut self, offset: u64) -> Result<()> {
        if offset > self.have {
            bail!(
                "the server wants to start at byte {offset}, but only {} are here",
                self.have
            );
        }
        // Cut only when there is something to cut. On ext4, truncating a
        // file, even an empty one to length 0, marks it as being replaced,
        // and closing it then starts writing the whole file to disk
        // (`auto_da_alloc`): a fresh download of 512 MiB waited 0.17 s in
        // `close` for that.
        if offset < self.have {
            self.file.set_len(offset)?;
        }
        self.file.seek(SeekFrom::Start(0))?;
        self.hash = Hasher::new(self.kind());
        hash_prefix(&mut self.file, offset, &mut self.hash)?;
        self.have = offset;
        Ok(())
    }
    // ANCHOR_END: start_at

    /// Receives exactly `len` more bytes from `from`.
    pub fn receive(
        &mut self,
        from: &mut impl Read,
        len: u64,
        progress: &mut dyn FnMut(u64),
    ) -> io::Result<()> {
        let have = self.have;
        let mut writer = io::BufWriter::with_capacity(crate::CHUNK, &self.file);
        // md5 keeps the hashing thread busy by itself, so the receiving
        // thread writes; BLAKE3 leaves the hashing thread time to spare, so
        // it writes, and the receiving thread only receives.
        let writes = match self.kind() {
            HashKind::Md5 => Writer::Receiver,
            HashKind::Blake3 => Writer::Hasher,
        };
        let result =
            recv_exact_pipelined(from, &mut writer, len, &mut self.hash, writes, &mut |n| {
                progress(have + n)
            });
        let flushed = writer.into_inner().map_err(|e| e.into_error()).map(|_| ());
        self.have = self.file.metadata().map(|m| m.len()).unwrap_or(have);
        result.and(flushed)
    }

    // ANCHOR: finish
    /// Compares the digest and, only if it matches, gives the file its
    /// final name. On a mismatch the part file is deleted: its bytes are
    /// wrong somewhere, resuming from it would keep them.
    pub fn finish(self, expected: &str) -> Result<PathBuf> {
        let kind = self.kind().name();
        let got = self.hash.hex();
        if got != expected {
            drop(self.file);
            let _ = fs::remove_file(&self.part);
            let message = format!(
                "{kind} mismatch: the server said {expected}, the bytes hash to {got}; nothing saved"
            );
            return Err(Rejected(message).into());
        }
        publish(&self.part, &self.target, self.force)?;
        Ok(self.target)
    }
    // ANCHOR_END: finish

    /// Removes the part file if it holds nothing (a refused request).
    pub fn abandon(self) {
        let empty = self.have == 0;
        drop(self.file);
        if empty {
            let _ = fs::remove_file(&self.part);
        }
    }

    /// Gives up and deletes the part file (for protocols that cannot resume).
    pub fn discard(self) {
        drop(self.file);
        let _ = fs::remove_file(&self.part);
    }
}

// ANCHOR: open_part
/// Opens `NAME.part` to resume it, or creates it, never through a symlink
/// and never anything but a regular file. In a folder others can write to,
/// a part file may have been planted as a link to another of our files:
/// following it would overwrite that file, and publish the download as a
/// link. `O_NOFOLLOW` refuses a link as the last name; `O_EXCL` makes the
/// creation fail if anything appeared under the name since we looked.
fn open_part(part: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let refuse = |what: &str| {
        let message = format!("{} {what}: refusing to write to it", part.display());
        anyhow::Error::from(Rejected(message))
    };
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW);
    let file = match options.open(part) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => options
            .create_new(true)
            .open(part)
            .with_context(|| format!("cannot create {}", part.display()))?,
        // ELOOP: the name is a symbolic link.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refuse("is a symbolic link"));
        }
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", part.display())),
    };
    if !file.metadata()?.is_file() {
        return Err(refuse("is not a regular file"));
    }
    Ok(file)
}
// ANCHOR_END: open_part

/// Moves `from` to `to`. Without `overwrite` it links the new name first,
/// which fails if `to` exists (no window in which a check could be
/// outrun), then removes the old one.
pub fn publish(from: &Path, to: &Path, overwrite: bool) -> Result<()> {
    if overwrite {
        fs::rename(from, to)
            .with_context(|| format!("cannot rename {} to {}", from.display(), to.display()))?;
        return Ok(());
    }
    match fs::hard_link(from, to) {
        Ok(()) => {
            fs::remove_file(from)?;
            Ok(())
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            let message = format!("{} exists (use --force to overwrite it)", to.display());
            Err(Rejected(message).into())
        }
        Err(e) => Err(e).with_context(|| format!("cannot create {}", to.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    /// A time long past, to tell whether anything touched a file since.
    fn long_ago() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(946_684_800) // 2000-01-01
    }

    #[test]
    fn starting_where_the_part_file_ends_does_not_truncate_it() {
        // A truncate, even to the length the file already has, updates its
        // modification time; on ext4 it also makes `close` write the whole
        // file out. Neither must happen when there is nothing to cut.
        let dir = tempfile::tempdir().unwrap();
        for kept in [0usize, 5] {
            let part = dir.path().join("data.bin.part");
            fs::write(&part, &b"hello"[..kept]).unwrap();
            File::options()
                .write(true)
                .open(&part)
                .unwrap()
                .set_modified(long_ago())
                .unwrap();
            let mut download =
                Download::begin(dir.path(), "data.bin", false, HashKind::Md5).unwrap();
            assert_eq!(download.have(), kept as u64);
            download.start_at(kept as u64).unwrap();
            let modified = fs::metadata(&part).unwrap().modified().unwrap();
            assert_eq!(
                modified,
                long_ago(),
                "{kept} bytes kept: the part file was touched"
            );
            download.discard();
        }
    }

    #[test]
    fn starting_before_the_end_cuts_the_part_file_there() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("data.bin.part");
        fs::write(&part, b"hello, stale tail").unwrap();
        let mut download = Download::begin(dir.path(), "data.bin", false, HashKind::Md5).unwrap();
        download.start_at(5).unwrap();
        assert_eq!(fs::read(&part).unwrap(), b"hello");
        assert_eq!(download.have(), 5);
    }
}
