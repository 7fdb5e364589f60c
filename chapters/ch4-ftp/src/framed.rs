//! The framed protocol: every message says how long it is.
//!
//! A frame is a 4-byte big-endian length, then that many bytes of UTF-8
//! text. The text's first word says what the frame is. File bytes travel
//! *after* a reply frame that announced how many follow, so a receiver
//! always knows where the next frame starts.
//!
//! ```text
//! requests                      replies
//! get OFFSET NAME               file SIZE OFFSET MD5   then SIZE-OFFSET bytes
//! get blake3 OFFSET NAME        file SIZE OFFSET BLAKE3, then the bytes
//! stat NAME                     stat SIZE MD5
//! ls DIR                        list\n + lines "f SIZE NAME" / "d - NAME"
//! put SIZE MD5 NAME             ready, then the client sends SIZE bytes,
//!                               then done MD5
//! (any)                         error CODE MESSAGE
//! ```

use std::fmt;
use std::io::{self, ErrorKind, Read, Write};

use crate::digest::HashKind;

/// The largest request frame a server reads: a name is never longer.
pub const MAX_REQUEST: u32 = 64 * 1024;
/// The largest reply frame a client reads (a long `ls`).
pub const MAX_REPLY: u32 = 4 * 1024 * 1024;

// ANCHOR: frames
/// Writes one frame: the length, then the payload, in one write.
pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len())
        .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "frame too long"))?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    out.write_all(&frame)
}

/// Reads one frame of at most `limit` bytes. `Ok(None)`: the peer closed the
/// connection between frames, the normal way to leave.
pub fn read_frame(input: &mut impl Read, limit: u32) -> Result<Option<Vec<u8>>, FrameError> {
    let mut len = [0; 4];
    match input.read_exact(&mut len[..1]) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(FrameError::Io(e)),
    }
    input.read_exact(&mut len[1..]).map_err(FrameError::Io)?;
    let n = u32::from_be_bytes(len);
    if n > limit {
        return Err(FrameError::TooLarge {
            len: n,
            limit,
            head: len,
        });
    }
    let mut payload = vec![0; n as usize];
    input.read_exact(&mut payload).map_err(FrameError::Io)?;
    Ok(Some(payload))
}
// ANCHOR_END: frames

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The connection failed or ended inside a frame.
    Io(io::Error),
    /// The length is over the limit; nothing past the length was read.
    TooLarge {
        /// The announced length.
        len: u32,
        /// The limit.
        limit: u32,
        /// The four bytes that announced it.
        head: [u8; 4],
    },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Io(e) => write!(f, "{e}"),
            FrameError::TooLarge { len, limit, head } => {
                write!(f, "a frame of {len} bytes is over the limit of {limit}")?;
                if head.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                    let text = String::from_utf8_lossy(head);
                    write!(
                        f,
                        " (it starts with the text {text:?}: is this the article's protocol?)"
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FrameError {}

/// A request, as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// The file `name`, from byte `offset` on.
    Get {
        /// The file's name under the server's root.
        name: String,
        /// Where to start (a resumed download).
        offset: u64,
        /// The digest the client will check: md5 unless it asks for
        /// another (`get blake3 OFFSET NAME`).
        hash: HashKind,
    },
    /// The size and md5 of `name`.
    Stat {
        /// The file's name.
        name: String,
    },
    /// The entries of a folder.
    Ls {
        /// The folder's name; empty for the root.
        dir: String,
    },
    /// Upload a file of `size` bytes whose md5 is `md5`.
    Put {
        /// The new file's name.
        name: String,
        /// Its size.
        size: u64,
        /// Its md5 in hex.
        md5: String,
    },
}

/// A reply, as the server sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `SIZE - OFFSET` bytes of the file follow.
    File {
        /// The whole file's size.
        size: u64,
        /// Where the bytes that follow start.
        offset: u64,
        /// The whole file's digest, of the kind the request asked for: 32
        /// hex digits for md5, 64 for BLAKE3.
        digest: String,
    },
    /// The answer to `stat`.
    Stat {
        /// The size.
        size: u64,
        /// The md5.
        md5: String,
    },
    /// The answer to `ls`.
    List(Vec<Entry>),
    /// Send the upload's bytes now.
    Ready,
    /// The upload arrived and its digest matched.
    Done {
        /// The md5 the server computed.
        md5: String,
    },
    /// The request failed; the connection stays usable.
    Error {
        /// A short code: not-found, refused, not-a-file, exists, bad-request, ...
        code: String,
        /// A sentence for a person.
        message: String,
    },
}

/// One line of `ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `f` file, `d` folder, `l` symlink, `o` other.
    pub kind: char,
    /// The size for files.
    pub size: Option<u64>,
    /// The name.
    pub name: String,
}

// ANCHOR: encode
impl Request {
    /// The frame's text.
    pub fn encode(&self) -> String {
        match self {
            Request::Get {
                name,
                offset,
                hash: HashKind::Md5,
            } => format!("get {offset} {name}"),
            Request::Get { name, offset, hash } => format!("get {} {offset} {name}", hash.name()),
            Request::Stat { name } => format!("stat {name}"),
            Request::Ls { dir } => format!("ls {dir}"),
            Request::Put { name, size, md5 } => format!("put {size} {md5} {name}"),
        }
    }
    // ANCHOR_END: encode

    // ANCHOR: parse_request
    /// Parses a request frame; the error is the message for the reply.
    pub fn parse(payload: &[u8]) -> Result<Request, String> {
        let text = std::str::from_utf8(payload).map_err(|_| "the request is not UTF-8")?;
        if text.is_empty() {
            return Err("empty request".into());
        }
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        match word {
            "get" => {
                // `get OFFSET NAME`, or `get HASH OFFSET NAME`: an offset
                // is digits, so a first word that is not is a hash's name.
                let usage = "usage: get [blake3] OFFSET NAME";
                let (first, after) = rest.split_once(' ').ok_or(usage)?;
                let (hash, offset, name) = match first.parse::<u64>() {
                    Ok(offset) => (HashKind::Md5, offset, after),
                    Err(_) => {
                        // A word, then an offset: the word names a digest.
                        let with_offset = after
                            .split_once(' ')
                            .and_then(|(o, name)| Some((o.parse::<u64>().ok()?, name)));
                        let Some((offset, name)) = with_offset else {
                            return Err(format!("bad offset {first:?}"));
                        };
                        let hash = HashKind::from_name(first)
                            .ok_or_else(|| format!("unknown digest {first:?} (md5, blake3)"))?;
                        (hash, offset, name)
                    }
                };
                Ok(Request::Get {
                    name: name.into(),
                    offset,
                    hash,
                })
            }
            "stat" => Ok(Request::Stat { name: rest.into() }),
            "ls" => Ok(Request::Ls { dir: rest.into() }),
            "put" => {
                let mut parts = rest.splitn(3, ' ');
                let (Some(size), Some(md5), Some(name)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err("usage: put SIZE MD5 NAME".into());
                };
                let size = size.parse().map_err(|_| format!("bad size {size:?}"))?;
                if !is_hex_digest(md5) {
                    return Err(format!("bad md5 {md5:?}"));
                }
                Ok(Request::Put {
                    name: name.into(),
                    size,
                    md5: md5.into(),
                })
            }
            _ => Err(format!(
                "unknown request `{}`",
                word.chars().take(40).collect::<String>()
            )),
        }
    }
    // ANCHOR_END: parse_request
}

impl Reply {
    /// A failure reply.
    pub fn error(code: &str, message: impl Into<String>) -> Reply {
        Reply::Error {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The frame's text.
    pub fn encode(&self) -> String {
        match self {
            Reply::File {
                size,
                offset,
                digest,
            } => format!("file {size} {offset} {digest}"),
            Reply::Stat { size, md5 } => format!("stat {size} {md5}"),
            Reply::List(entries) => {
                let mut text = String::from("list");
                for e in entries {
                    let size = e.size.map_or("-".to_string(), |s| s.to_string());
                    text.push_str(&format!("\n{} {size} {}", e.kind, e.name));
                }
                text
            }
            Reply::Ready => "ready".into(),
            Reply::Done { md5 } => format!("done {md5}"),
            Reply::Error { code, message } => format!("error {code} {message}"),
        }
    }

    /// Parses a reply frame; an error here means a broken server.
    pub fn parse(payload: &[u8]) -> Result<Reply, String> {
        let text = std::str::from_utf8(payload).map_err(|_| "the reply is not UTF-8")?;
        let (head, body) = text.split_once('\n').unwrap_or((text, ""));
        let words: Vec<&str> = head.splitn(4, ' ').collect();
        let number = |s: &str| -> Result<u64, String> {
            s.parse()
                .map_err(|_| format!("{s:?} is not a number in reply {head:?}"))
        };
        let digest = |s: &str| -> Result<String, String> {
            if is_hex_digest(s) {
                Ok(s.to_string())
            } else {
                Err(format!("{s:?} is not an md5 digest"))
            }
        };
        match words.as_slice() {
            ["file", size, offset, hex] => Ok(Reply::File {
                size: number(size)?,
                offset: number(offset)?,
                digest: match HashKind::of_hex(hex) {
                    Some(_) => hex.to_string(),
                    None => return Err(format!("{hex:?} is not an md5 or BLAKE3 digest")),
                },
            }),
            ["stat", size, md5] => Ok(Reply::Stat {
                size: number(size)?,
                md5: digest(md5)?,
            }),
            ["list"] => {
                let mut entries = Vec::new();
                for line in body.lines() {
                    let mut p = line.splitn(3, ' ');
                    let (Some(kind), Some(size), Some(name)) = (p.next(), p.next(), p.next())
                    else {
                        return Err(format!("bad list line {line:?}"));
                    };
                    entries.push(Entry {
                        kind: kind.chars().next().unwrap_or('o'),
                        size: size.parse().ok(),
                        name: name.into(),
                    });
                }
                Ok(Reply::List(entries))
            }
            ["ready"] => Ok(Reply::Ready),
            ["done", md5] => Ok(Reply::Done { md5: digest(md5)? }),
            ["error", code, rest @ ..] => Ok(Reply::Error {
                code: code.to_string(),
                message: rest.join(" "),
            }),
            _ => Err(format!("unknown reply {head:?}")),
        }
    }
}

/// Is `text` an md5 digest as the protocol carries it: 32 lowercase hex
/// digits, the form [`crate::digest::hex`] makes?
pub fn is_hex_digest(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Sends a request frame.
pub fn send_request(out: &mut impl Write, request: &Request) -> io::Result<()> {
    write_frame(out, request.encode().as_bytes())
}

/// Sends a reply frame.
pub fn send_reply(out: &mut impl Write, reply: &Reply) -> io::Result<()> {
    write_frame(out, reply.encode().as_bytes())
}
