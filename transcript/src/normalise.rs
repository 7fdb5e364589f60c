//! What differs from machine to machine and from run to run, made the same.
//!
//! One [`Normaliser`] serves both makers of transcripts. It applies, in
//! this order:
//!
//! 1. folders, in the order they were added: the workspace root becomes
//!    `.` (a path under it loses the `ROOT/`), a run's own folder `/tmp`,
//!    a checker's scratch folder `/tmp/check-XXXXXX`;
//! 2. each server's port becomes the port the book shows for it, wherever
//!    the number stands alone;
//! 3. every other loopback port (`127.0.0.1:PORT`, `[::1]:PORT`,
//!    `localhost:PORT`) becomes `40000`, `40001`, ... in order of first
//!    appearance, skipping the servers' shown ports (so from `40001` in a run
//!    whose first server shows `40000`);
//! 4. the spec's or the exercise's own `[regex, replacement]` rules.
//!
//! The numbering of step 3 lasts as long as the normaliser: the blocks of
//! one run share it, so one port is one number in all of them.
//!
//! [`Normaliser::for_run`] is the spec runner's, [`Normaliser::for_checker`]
//! the checker's.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use regex::Regex;

/// The number the first loopback port of a transcript becomes.
pub const FIRST_PORT: u16 = 40000;

/// What a checker's scratch folder (`tempfile`'s `check-` + random) is
/// shown as.
pub const SCRATCH_SHOWN: &str = "/tmp/check-XXXXXX";

/// An address on this machine with a port, as programs print it.
const LOOPBACK: &str = r"(127\.\d+\.\d+\.\d+|\[::1\]|localhost):(\d{4,5})\b";

/// A server of a run: the port it listens on, and the port the book shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerPort {
    /// The port it printed in its `listening on` line.
    pub actual: u16,
    /// The port the book shows instead.
    pub shown: u16,
}

/// Makes output the same from one run to the next (see the module's
/// documentation for what it changes, in which order).
#[derive(Debug)]
pub struct Normaliser {
    folders: Vec<(Folder, String)>,
    server_ports: Vec<(Regex, String)>,
    /// The servers' shown ports: never given to another port.
    reserved: Vec<String>,
    loopback: Regex,
    other_ports: BTreeMap<String, String>,
    next_port: u16,
    rules: Vec<(Regex, String)>,
}

#[derive(Debug)]
enum Folder {
    Literal(String),
    Pattern(Regex),
}

impl Default for Normaliser {
    fn default() -> Self {
        Self::new()
    }
}

impl Normaliser {
    /// A normaliser that numbers loopback ports from [`FIRST_PORT`] and
    /// changes nothing else yet.
    pub fn new() -> Self {
        Self {
            folders: Vec::new(),
            server_ports: Vec::new(),
            reserved: Vec::new(),
            loopback: Regex::new(LOOPBACK).expect("a valid regex"),
            other_ports: BTreeMap::new(),
            next_port: FIRST_PORT,
            rules: Vec::new(),
        }
    }

    /// The spec runner's: the run's folder `dir` becomes `/tmp`, the
    /// workspace `root` `.`, each server's port the one it shows, other
    /// loopback ports `40001`, ... (from `40000` in a run without servers),
    /// then `rules`.
    pub fn for_run(
        dir: &Path,
        root: &Path,
        servers: &[ServerPort],
        rules: &[[String; 2]],
    ) -> Result<Self> {
        let mut normaliser = Self::new().folder(dir, "/tmp").folder(root, ".");
        for server in servers {
            normaliser = normaliser.server_port(*server);
        }
        if !servers.is_empty() {
            normaliser = normaliser.first_other_port(FIRST_PORT + 1);
        }
        normaliser.rules(rules)
    }

    /// The checker's: the workspace `root` becomes `.`, a checker's scratch
    /// folder [`SCRATCH_SHOWN`], loopback ports `40000`, `40001`, ..., then
    /// `rules`.
    pub fn for_checker(root: &Path, rules: &[[String; 2]]) -> Result<Self> {
        let temp = std::env::temp_dir();
        let temp = temp.canonicalize().unwrap_or(temp);
        let scratch = Regex::new(&format!(
            r"{}/check-[A-Za-z0-9]+",
            regex::escape(&temp.to_string_lossy())
        ))?;
        Self::new()
            .folder(root, ".")
            .pattern(scratch, SCRATCH_SHOWN)
            .rules(rules)
    }

    /// `path` becomes `shown`, and `path/` becomes `shown/` (or nothing
    /// when `shown` is `.`: `ROOT/target` becomes `target`).
    pub fn folder(mut self, path: &Path, shown: &str) -> Self {
        let path = path.to_string_lossy().into_owned();
        let below = if shown == "." {
            String::new()
        } else {
            format!("{shown}/")
        };
        self.folders
            .push((Folder::Literal(format!("{path}/")), below));
        self.folders.push((Folder::Literal(path), shown.to_owned()));
        self
    }

    /// What `pattern` matches becomes `shown`, in the order of the folders.
    pub fn pattern(mut self, pattern: Regex, shown: &str) -> Self {
        self.folders
            .push((Folder::Pattern(pattern), shown.to_owned()));
        self
    }

    /// A server's port becomes the port the book shows for it, wherever the
    /// number stands alone; no other port is numbered as that one.
    pub fn server_port(mut self, port: ServerPort) -> Self {
        let regex = Regex::new(&format!(r"\b{}\b", port.actual)).expect("a number is a regex");
        let shown = port.shown.to_string();
        self.reserved.push(shown.clone());
        self.server_ports.push((regex, shown));
        self
    }

    /// The number the first other loopback port becomes.
    pub fn first_other_port(mut self, port: u16) -> Self {
        self.next_port = port;
        self
    }

    /// `[regex, replacement]` pairs, applied last, in order.
    pub fn rules(mut self, rules: &[[String; 2]]) -> Result<Self> {
        for [pattern, with] in rules {
            let regex = Regex::new(pattern).with_context(|| format!("bad regex {pattern:?}"))?;
            self.rules.push((regex, with.clone()));
        }
        Ok(self)
    }

    /// `text`, normalised.
    pub fn apply(&mut self, text: &str) -> String {
        let mut text = text.to_owned();
        for (folder, shown) in &self.folders {
            text = match folder {
                Folder::Literal(path) => text.replace(path.as_str(), shown),
                Folder::Pattern(regex) => regex.replace_all(&text, shown.as_str()).into_owned(),
            };
        }
        for (regex, shown) in &self.server_ports {
            text = regex.replace_all(&text, shown.as_str()).into_owned();
        }
        let loopback = self.loopback.clone();
        text = loopback
            .replace_all(&text, |captures: &regex::Captures<'_>| {
                let port = &captures[2];
                let shown = if self.reserved.iter().any(|r| r == port) {
                    port.to_owned()
                } else {
                    self.other_port(port)
                };
                format!("{}:{shown}", &captures[1])
            })
            .into_owned();
        for (regex, with) in &self.rules {
            text = regex.replace_all(&text, with.as_str()).into_owned();
        }
        text
    }

    /// The number shown for a port no server of the run owns.
    fn other_port(&mut self, port: &str) -> String {
        if let Some(shown) = self.other_ports.get(port) {
            return shown.clone();
        }
        while self.reserved.contains(&self.next_port.to_string()) {
            self.next_port += 1;
        }
        let shown = self.next_port.to_string();
        self.next_port += 1;
        self.other_ports.insert(port.to_owned(), shown.clone());
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_shows_its_folder_its_servers_and_other_ports_the_same_each_time() {
        let servers = [
            ServerPort {
                actual: 51234,
                shown: 9999,
            },
            ServerPort {
                actual: 51300,
                shown: 40000,
            },
        ];
        let rules = [["took \\d+ ms".to_owned(), "took 5 ms".to_owned()]];
        let mut normaliser = Normaliser::for_run(
            Path::new("/tmp/.tmpAbC"),
            Path::new("/repo"),
            &servers,
            &rules,
        )
        .unwrap();
        assert_eq!(
            normaliser.apply(
                "/tmp/.tmpAbC/a.sock /tmp/.tmpAbC /repo/target /repo\n\
                 port 51234, 127.0.0.1:51300 [::1]:61000 localhost:61001 took 93 ms\n"
            ),
            "/tmp/a.sock /tmp target .\n\
             port 9999, 127.0.0.1:40000 [::1]:40001 localhost:40002 took 5 ms\n"
        );
        // The numbering lasts across the blocks of a run.
        assert_eq!(
            normaliser.apply("127.0.0.1:61001 127.0.0.1:62000\n"),
            "127.0.0.1:40002 127.0.0.1:40003\n"
        );
    }

    #[test]
    fn a_run_without_servers_numbers_from_40000() {
        let mut normaliser =
            Normaliser::for_run(Path::new("/tmp/x"), Path::new("/repo"), &[], &[]).unwrap();
        assert_eq!(
            normaliser.apply("127.0.0.1:51234 127.0.0.1:51234 [::1]:61000"),
            "127.0.0.1:40000 127.0.0.1:40000 [::1]:40001"
        );
    }

    #[test]
    fn the_checker_shows_its_scratch_folder_and_numbers_ports_from_40000() {
        let temp = std::env::temp_dir();
        let temp = temp.canonicalize().unwrap_or(temp);
        let text = format!(
            "127.0.0.1:51234 [::1]:61000 127.0.0.1:51234 port 9\n\
             /repo/target/x /repo {}/check-a1B2c3/echo.sock\ntook 93 ms\n",
            temp.display()
        );
        let rules = [["took \\d+ ms".to_owned(), "took 5 ms".to_owned()]];
        let mut normaliser = Normaliser::for_checker(Path::new("/repo"), &rules).unwrap();
        assert_eq!(
            normaliser.apply(&text),
            "127.0.0.1:40000 [::1]:40001 127.0.0.1:40000 port 9\n\
             target/x . /tmp/check-XXXXXX/echo.sock\ntook 5 ms\n"
        );
    }

    #[test]
    fn a_bad_rule_is_an_error_that_names_it() {
        let err = Normaliser::new()
            .rules(&[["(".to_owned(), String::new()]])
            .unwrap_err();
        assert!(format!("{err:#}").contains("bad regex \"(\""), "{err:#}");
    }
}
