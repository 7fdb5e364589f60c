//! Bytes as a student of any language reads them.
//!
//! A checker's message is read by people who wrote their program in Python,
//! C or Rust. Rust's debug form (`"\0\0\0\u{5}Chello"`) speaks to one of
//! them only; Python's `b'...'` form is what the course prints, and hex is
//! what every language's tools show. [`show_bytes`] gives both when the bytes
//! are not plain text, and the `b'...'` form alone when they are.

use std::fmt::Write as _;

/// How many bytes a message shows before it elides the rest.
const SHOWN: usize = 40;

/// `bytes` as Python writes a bytes literal, e.g. `b'hello\n'`, followed by
/// their hex when any byte is not printable text, e.g.
/// `b'\x00\x00\x00\x05Chello' (hex 00 00 00 05 43 68 65 6c 6c 6f)`.
/// Long runs show their first 40 bytes and their length.
pub fn show_bytes(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(SHOWN)];
    let mut out = python_literal(shown);
    if bytes.len() > SHOWN {
        let _ = write!(out, "... ({} bytes in all)", bytes.len());
    }
    if !is_text(shown) {
        out.push_str(" (hex ");
        out.push_str(&hex(shown));
        if bytes.len() > SHOWN {
            out.push_str(" ...");
        }
        out.push(')');
    }
    out
}

/// Python's `repr()` of a bytes object: `b'...'`, with `\n`, `\t`, `\r`,
/// `\\`, `\'` and `\xNN` escapes.
pub fn python_literal(bytes: &[u8]) -> String {
    let mut out = String::from("b'");
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('\'');
    out
}

/// The bytes in hex, two digits each, separated by spaces.
pub fn hex(bytes: &[u8]) -> String {
    let words: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    words.join(" ")
}

/// Printable ASCII, newlines and tabs only.
fn is_text(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| matches!(b, 0x20..=0x7e | b'\n' | b'\r' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_shown_as_python_prints_it() {
        assert_eq!(show_bytes(b"hello\n"), r"b'hello\n'");
        assert_eq!(show_bytes(b"it's"), r"b'it\'s'");
        assert_eq!(show_bytes(b""), "b''");
    }

    #[test]
    fn binary_gets_its_hex_too() {
        assert_eq!(
            show_bytes(b"\0\0\0\x05Chello"),
            r"b'\x00\x00\x00\x05Chello' (hex 00 00 00 05 43 68 65 6c 6c 6f)"
        );
    }

    #[test]
    fn long_runs_are_elided_with_their_length() {
        let text = show_bytes(&[b'a'; 100]);
        assert!(text.ends_with("... (100 bytes in all)"), "{text}");
        assert_eq!(text.matches('a').count(), 41, "{text}"); // 40 and the 'all'
        let binary = show_bytes(&[0u8; 100]);
        assert!(binary.ends_with(" ...)"), "{binary}");
    }
}
