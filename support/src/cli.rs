//! The conventions every chapter's programs keep.
//!
//! A server binds `127.0.0.1` unless told otherwise, takes `--port 0` to let
//! the operating system choose, and prints `listening on ADDR` with the real
//! address as its first line on stdout, so a person, a script or a test knows
//! where to connect. Every program reports failure as one line on stderr,
//! `error: ...` with its cause, and exits with a non-zero code.

use std::fmt::Display;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

/// The first line a server prints, before that address.
pub const LISTENING_PREFIX: &str = "listening on ";

/// Prints `listening on ADDR` and flushes stdout at once.
///
/// The flush matters: when stdout is a pipe (a test, a script), Rust buffers
/// it, and a test waiting for this line would wait forever.
pub fn announce(addr: impl Display) {
    let mut out = std::io::stdout().lock();
    // A vanished reader of our stdout is no reason to stop serving.
    let _ = writeln!(out, "{LISTENING_PREFIX}{addr}");
    let _ = out.flush();
}

/// Runs a program's body and turns its error into the house style.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     book_support::cli::run(|| {
///         // parse arguments, call the library ...
///         Ok(())
///     })
/// }
/// ```
///
/// On error it prints `error: ` followed by the whole chain of causes
/// (`{:#}`), one line, and returns a failing exit code: no panic, no backtrace.
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `text` as it may safely reach a terminal or a log: unchanged when it has
/// no control character, else quoted with every control character escaped
/// (`"evil\nforged"`, `"\u{1b}[31mred"`).
///
/// A name or a command comes from the network. Printed raw, a newline in it
/// forges a second line of a listing or a log, and an escape sequence
/// recolours, moves or retitles the reader's terminal.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        format!("{text:?}").into()
    } else {
        text.into()
    }
}

// ANCHOR: check_host
/// Refuses to listen on `host` unless it is a loopback address or the
/// user said `--allow-remote`; with it, warns. `exposes` says what anyone
/// who reaches the address can then do ("read every file under the root").
///
/// The book's servers trust their peers: a loopback address keeps them to
/// the programs of this machine. Listening on `0.0.0.0` by mistake is easy,
/// so it takes a second flag, and the warning says what it gives away.
pub fn check_host(host: IpAddr, allow_remote: bool, exposes: &str) -> anyhow::Result<()> {
    if host.is_loopback() {
        return Ok(());
    }
    if !allow_remote {
        anyhow::bail!(
            "refusing to listen on {host}: anyone who can reach it could {exposes}; \
             use a loopback address, or add --allow-remote if you really mean it"
        );
    }
    eprintln!("warning: listening on {host}: anyone who can reach this address can {exposes}");
    Ok(())
}
// ANCHOR_END: check_host

#[cfg(test)]
mod tests {
    use super::{check_host, printable};

    #[test]
    fn only_loopback_is_allowed_without_asking() {
        let say = "do things";
        assert!(check_host("127.0.0.1".parse().unwrap(), false, say).is_ok());
        assert!(check_host("::1".parse().unwrap(), false, say).is_ok());
        let refused = check_host("0.0.0.0".parse().unwrap(), false, say).unwrap_err();
        assert!(refused.to_string().contains("--allow-remote"), "{refused}");
        assert!(check_host("0.0.0.0".parse().unwrap(), true, say).is_ok());
    }

    #[test]
    fn plain_text_is_left_alone_and_control_characters_are_escaped() {
        assert_eq!(printable("hello world.txt"), "hello world.txt");
        assert_eq!(printable("名字.txt"), "名字.txt");
        assert_eq!(printable("a\nb"), "\"a\\nb\"");
        assert_eq!(printable("\u{1b}[31mred"), "\"\\u{1b}[31mred\"");
    }
}
