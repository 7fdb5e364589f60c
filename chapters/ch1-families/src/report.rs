//! What the programs print, in one place.

use std::fmt::Display;
use std::io::Write;

/// Prints one line on stdout and flushes it, ignoring a closed stdout.
///
/// `println!` panics when stdout is gone (the reader of a pipe quit), and a
/// server must not die because nobody reads its log. Flushing at once lets a
/// test read each line the moment it is written.
pub fn say(line: impl Display) {
    say_to(&mut std::io::stdout().lock(), line);
}

/// Writes one line to `out` and flushes it, ignoring a closed `out`: what
/// [`say`] does for stdout, for library code that is handed its output.
pub fn say_to(out: &mut impl Write, line: impl Display) {
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// How long a preview of a message may be, in bytes.
const PREVIEW: usize = 40;

/// A message as a person reads it: `"hello"`, escaped where it is not
/// printable ASCII, and cut short when long: `"aaaa"...`.
pub fn preview(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(PREVIEW)];
    let more = if bytes.len() > PREVIEW { "..." } else { "" };
    format!("\"{}\"{more}", shown.escape_ascii())
}

/// `1 byte`, `2 bytes`; `1 read`, `3 reads`.
pub fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_escaped_and_short() {
        assert_eq!(preview(b"hi\n"), r#""hi\n""#);
        assert_eq!(preview(&[b'a'; 50]), format!("\"{}\"...", "a".repeat(40)));
        assert_eq!(count(1, "read"), "1 read");
        assert_eq!(count(0, "byte"), "0 bytes");
    }
}
