//! The shared secret: where it comes from, and how it is compared.
//!
//! A secret typed on the command line (`--secret WORD`) is in the process
//! list: `ps` shows every process's arguments to every user of the machine,
//! for as long as the program runs. A file that only its owner may read
//! (`--secret-file PATH`), or an environment variable ([`SECRET_ENV`]),
//! which other users cannot see, keeps it out of there.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::frame::MAX_PAYLOAD;

/// The environment variable the server reads its secret from when neither
/// `--secret` nor `--secret-file` is given. The server does not pass it on
/// to the commands it runs.
pub const SECRET_ENV: &str = "SSH_SERVER_SECRET";

/// The secret in the first line of the file at `path`, without its line
/// ending. An empty first line is refused: a secret nobody has to know is
/// no secret.
// ANCHOR: read_secret_file
pub fn read_secret_file(path: &Path) -> Result<String> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("cannot read the secret from {shown}"))?;
    // One line, and never more than a frame can carry: `--secret-file
    // /dev/zero` must not read for ever.
    let mut line = String::new();
    BufReader::new(file.take(u64::from(MAX_PAYLOAD) + 2))
        .read_line(&mut line)
        .with_context(|| format!("cannot read the secret from {shown}"))?;
    let secret = line.strip_suffix('\n').unwrap_or(&line);
    let secret = secret.strip_suffix('\r').unwrap_or(secret);
    checked(secret, &format!("the first line of {shown}"))
}
// ANCHOR_END: read_secret_file

/// The server's secret: `--secret`, else `--secret-file`, else the
/// environment variable [`SECRET_ENV`] (`from_env`), else none.
pub fn choose(
    flag: Option<String>,
    file: Option<&Path>,
    from_env: Option<OsString>,
) -> Result<Option<String>> {
    if let Some(secret) = flag {
        return checked(&secret, "--secret").map(Some);
    }
    if let Some(path) = file {
        return read_secret_file(path).map(Some);
    }
    match from_env {
        None => Ok(None),
        Some(value) => {
            let Ok(secret) = value.into_string() else {
                bail!("{SECRET_ENV} is not valid UTF-8");
            };
            checked(&secret, SECRET_ENV).map(Some)
        }
    }
}

/// Refuses an empty secret, or one too long for a frame; `from` says where
/// it came from.
fn checked(secret: &str, from: &str) -> Result<String> {
    if secret.is_empty() {
        bail!("the secret in {from} is empty");
    }
    if secret.len() > MAX_PAYLOAD as usize {
        bail!("the secret in {from} is over {MAX_PAYLOAD} bytes");
    }
    Ok(secret.to_string())
}

/// Compares secrets in time that depends only on their lengths, so a
/// client cannot learn a secret byte by byte from how fast it is refused.
pub fn same_secret(expected: &[u8], given: &[u8]) -> bool {
    expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(contents: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(contents).unwrap();
        file
    }

    #[test]
    fn the_first_line_is_the_secret_without_its_line_ending() {
        for contents in [&b"s3cret\n"[..], b"s3cret", b"s3cret\r\nsecond line\n"] {
            let file = file_with(contents);
            assert_eq!(read_secret_file(file.path()).unwrap(), "s3cret");
        }
        let file = file_with(b"  spaces are kept \n");
        assert_eq!(read_secret_file(file.path()).unwrap(), "  spaces are kept ");
    }

    #[test]
    fn an_empty_secret_is_refused_wherever_it_comes_from() {
        for contents in [&b""[..], b"\n", b"\r\nsecret on line two\n"] {
            let file = file_with(contents);
            let err = read_secret_file(file.path()).unwrap_err().to_string();
            assert!(err.starts_with("the secret in the first line of "), "{err}");
            assert!(err.ends_with(" is empty"), "{err}");
        }
        let err = choose(Some(String::new()), None, None).unwrap_err();
        assert_eq!(err.to_string(), "the secret in --secret is empty");
        let err = choose(None, None, Some("".into())).unwrap_err();
        assert_eq!(err.to_string(), "the secret in SSH_SERVER_SECRET is empty");
    }

    #[test]
    fn a_flag_comes_before_the_file_and_the_file_before_the_environment() {
        let file = file_with(b"from-file\n");
        let env = || Some(OsString::from("from-env"));
        let chosen = |flag: Option<&str>, file: Option<&Path>| {
            choose(flag.map(String::from), file, env()).unwrap()
        };
        assert_eq!(chosen(Some("flag"), None).as_deref(), Some("flag"));
        assert_eq!(
            chosen(None, Some(file.path())).as_deref(),
            Some("from-file")
        );
        assert_eq!(chosen(None, None).as_deref(), Some("from-env"));
        assert_eq!(choose(None, None, None).unwrap(), None);
    }

    #[test]
    fn secrets_are_equal_only_when_every_byte_is() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cret", b"s3creT"));
        assert!(!same_secret(b"s3cret", b"s3cre"));
        assert!(!same_secret(b"s3cret", b""));
    }
}
