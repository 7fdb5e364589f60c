//! Length-prefixed frames: message boundaries on top of a byte stream.
//!
//! TCP delivers bytes, not messages: two sends may arrive as one read, one
//! send as several (see [`crate::sticky`]). The article's protocol keeps its
//! two messages apart with an extra round trip. A frame keeps any number of
//! messages apart with no round trip at all, because each one says how long
//! it is before it starts:
//!
//! ```text
//! +----------------+--------+------------------------+
//! | length: u32 BE | kind   | payload: length bytes  |
//! | 4 bytes        | 1 byte |                        |
//! +----------------+--------+------------------------+
//! ```
//!
//! The length is fixed-width (always four bytes) and big-endian ("network
//! byte order"), so the reader knows how many bytes to read for it, and both
//! ends agree on what they mean whatever the machine. The reader refuses a
//! length over [`MAX_PAYLOAD`] before it allocates anything: a corrupt or
//! hostile length cannot make it reserve four gigabytes.

use std::fmt;
use std::io::{self, Read, Write};

/// The largest payload either end accepts: 1 MiB. Output is sent in chunks
/// far smaller ([`crate::exec::CHUNK`]), so only a broken or hostile peer
/// ever reaches it. Because it is under 16 MiB, the first byte of every
/// frame is zero, which is how the server tells a framed client from one
/// speaking the article's protocol (see [`crate::server`]).
pub const MAX_PAYLOAD: u32 = 1024 * 1024;

/// The header's size: four bytes of length and one of kind.
pub const HEADER_LEN: usize = 5;

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Client to server, first: the shared secret.
    Auth,
    /// Server to client: the secret was right (or none is needed).
    AuthOk,
    /// Client to server: a command line to run.
    Command,
    /// Server to client: a chunk of the command's standard output.
    Stdout,
    /// Server to client: a chunk of the command's standard error.
    Stderr,
    /// Server to client: a message from the server itself (UTF-8).
    Notice,
    /// Server to client: the command has ended; payload: its exit status,
    /// an `i32` big-endian.
    Exit,
}

impl Kind {
    /// The byte that stands for this kind on the wire.
    pub fn byte(self) -> u8 {
        match self {
            Kind::Auth => b'A',
            Kind::AuthOk => b'K',
            Kind::Command => b'C',
            Kind::Stdout => b'O',
            Kind::Stderr => b'E',
            Kind::Notice => b'N',
            Kind::Exit => b'X',
        }
    }

    /// The kind a byte stands for, if any.
    pub fn from_byte(byte: u8) -> Option<Kind> {
        Some(match byte {
            b'A' => Kind::Auth,
            b'K' => Kind::AuthOk,
            b'C' => Kind::Command,
            b'O' => Kind::Stdout,
            b'E' => Kind::Stderr,
            b'N' => Kind::Notice,
            b'X' => Kind::Exit,
            _ => return None,
        })
    }
}

/// One message.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// What it carries.
    pub kind: Kind,
    /// The bytes it carries.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A frame of `kind` carrying `payload`.
    pub fn new(kind: Kind, payload: impl Into<Vec<u8>>) -> Self {
        Frame {
            kind,
            payload: payload.into(),
        }
    }

    /// The `Exit` frame for an exit status.
    pub fn exit(status: i32) -> Self {
        Frame::new(Kind::Exit, status.to_be_bytes())
    }

    /// The exit status an `Exit` frame carries.
    pub fn exit_status(&self) -> io::Result<i32> {
        let bytes: [u8; 4] = self.payload.as_slice().try_into().map_err(|_| {
            invalid(format!(
                "an exit frame carries 4 bytes, not {}",
                self.payload.len()
            ))
        })?;
        Ok(i32::from_be_bytes(bytes))
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?}({:?})",
            self.kind,
            String::from_utf8_lossy(&self.payload)
        )
    }
}

/// Writes one frame: header, then payload, in a single write.
///
/// One `write_all` of the whole frame, rather than three small writes,
/// sends it as one segment when it fits: no waiting on Nagle's algorithm.
// ANCHOR: write_frame
pub fn write_frame(stream: &mut impl Write, kind: Kind, payload: &[u8]) -> io::Result<()> {
    let length = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n <= MAX_PAYLOAD)
        .ok_or_else(|| invalid(format!("cannot send a frame of {} bytes", payload.len())))?;
    let mut frame = Vec::with_capacity(HEADER_LEN + payload.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.push(kind.byte());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}
// ANCHOR_END: write_frame

/// Reads one frame. `Ok(None)` means the peer closed the connection cleanly
/// between frames; a close inside a frame is an error, and so is a length
/// over [`MAX_PAYLOAD`] or an unknown kind.
// ANCHOR: read_frame
pub fn read_frame(stream: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut header = [0u8; HEADER_LEN];
    // The first byte tells a clean close (nothing at all) from a torn frame.
    if stream.read(&mut header[..1])? == 0 {
        return Ok(None);
    }
    read_all(stream, &mut header[1..])?;
    let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if length > MAX_PAYLOAD {
        return Err(invalid(format!(
            "a frame of {length} bytes is over the limit of {MAX_PAYLOAD} bytes"
        )));
    }
    let kind = Kind::from_byte(header[4])
        .ok_or_else(|| invalid(format!("unknown frame kind {:#04x}", header[4])))?;
    // Safe to allocate now: the length is at most MAX_PAYLOAD.
    let mut payload = vec![0; length as usize];
    read_all(stream, &mut payload)?;
    Ok(Some(Frame { kind, payload }))
}
// ANCHOR_END: read_frame

/// `read_exact` with a message that says what happened.
fn read_all(stream: &mut impl Read, buf: &mut [u8]) -> io::Result<()> {
    stream.read_exact(buf).map_err(|err| match err.kind() {
        io::ErrorKind::UnexpectedEof => io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection closed in the middle of a frame",
        ),
        _ => err,
    })
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(kind: Kind, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_frame(&mut out, kind, payload).unwrap();
        out
    }

    #[test]
    fn a_frame_is_length_kind_payload() {
        assert_eq!(encoded(Kind::Command, b"ls"), b"\0\0\0\x02Cls");
        assert_eq!(
            encoded(Kind::Exit, &7i32.to_be_bytes()),
            b"\0\0\0\x04X\0\0\0\x07"
        );
    }

    #[test]
    fn frames_read_back_one_by_one_and_then_none() {
        let mut wire = encoded(Kind::Stdout, b"hello");
        wire.extend(encoded(Kind::Stderr, b""));
        let mut reader = wire.as_slice();
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Some(Frame::new(Kind::Stdout, "hello"))
        );
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Some(Frame::new(Kind::Stderr, ""))
        );
        assert_eq!(read_frame(&mut reader).unwrap(), None);
    }

    #[test]
    fn an_oversized_length_is_refused_before_any_allocation() {
        let wire = [0xff, 0xff, 0xff, 0xff, b'O'];
        let err = read_frame(&mut &wire[..]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .contains("4294967295 bytes is over the limit"),
            "{err}"
        );
        let big = vec![0; MAX_PAYLOAD as usize + 1];
        assert!(write_frame(&mut Vec::new(), Kind::Stdout, &big).is_err());
    }

    #[test]
    fn a_torn_frame_and_an_unknown_kind_are_errors() {
        let err = read_frame(&mut &b"\0\0\0\x05Ohel"[..]).unwrap_err();
        assert!(err.to_string().contains("middle of a frame"), "{err}");
        let err = read_frame(&mut &b"\0\0"[..]).unwrap_err();
        assert!(err.to_string().contains("middle of a frame"), "{err}");
        let err = read_frame(&mut &b"\0\0\0\0?"[..]).unwrap_err();
        assert!(err.to_string().contains("unknown frame kind 0x3f"), "{err}");
    }
}
