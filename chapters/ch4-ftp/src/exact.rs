//! Receiving exactly N bytes.
//!
//! TCP delivers a stream of bytes, not messages. When the server sends the
//! file and then the digest, the client's `read` may return the last bytes
//! of the file *and* the first bytes of the digest in one go. The only
//! defence is to ask for no more than is still owed: `min(buffer, left)`.

use std::io::{self, ErrorKind, Read, Write};

use md5::{Digest, Md5};

use crate::CHUNK;

// ANCHOR: recv_exact_hashed
/// Copies exactly `size` bytes from `from` to `to`, feeding each to `md5`,
/// and never reads a byte past them. `progress` is told the running total.
///
/// A connection that ends early is an `UnexpectedEof` error that says how
/// many bytes came.
pub fn recv_exact_hashed(
    from: &mut impl Read,
    to: &mut impl Write,
    size: u64,
    md5: &mut Md5,
    progress: &mut dyn FnMut(u64),
) -> io::Result<()> {
    let mut buf = vec![0; CHUNK];
    let mut received = 0u64;
    while received < size {
        let left = size - received;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = match from.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!("connection closed after {received} of {size} bytes"),
                ));
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        md5.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        received += n as u64;
        progress(received);
    }
    Ok(())
}
// ANCHOR_END: recv_exact_hashed
