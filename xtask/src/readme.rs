//! The README's commands: every one a reader copies must work.
//!
//! The README is the first thing a reader runs. These checks read its shell
//! code blocks (```` ```sh ````, `bash`, `shell`, `console`, `zsh`) and the
//! inline code of its prose and tables that starts with `cargo `, and hold
//! each `cargo` command against the workspace: the alias or built-in exists,
//! the package and binary of a `cargo run` exist, and CI runs the test
//! command the README tells readers to run.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::sync::LazyLock;

use anyhow::{Context, Result};
use cargo_metadata::MetadataCommand;
use regex::Regex;

use crate::Problem;

/// Cargo's own subcommands (`cargo --list` without aliases and plug-ins),
/// and their one-letter short forms.
#[rustfmt::skip]
const BUILT_IN: &[&str] = &[
    "add", "b", "bench", "build", "c", "check", "clean", "clippy", "config", "d", "doc",
    "fetch", "fix", "fmt", "generate-lockfile", "help", "info", "init", "install",
    "locate-project", "login", "logout", "metadata", "miri", "new", "owner", "package",
    "pkgid", "publish", "r", "remove", "report", "run", "rustc", "rustdoc", "search", "t",
    "test", "tree", "uninstall", "update", "vendor", "verify-project", "version", "yank",
];

/// Cargo's global options that take a value as the next word.
const GLOBAL_OPTIONS_WITH_VALUE: &[&str] = &["-C", "--config", "-Z", "--color"];

/// Fence languages whose lines are commands.
const SHELL_LANGUAGES: &[&str] = &["sh", "bash", "shell", "console", "zsh"];

/// Inline code that is a cargo command: `` `cargo run -p ...` ``.
static INLINE_CARGO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`(cargo [^`]+)`").expect("a valid regex"));

/// One command of the README.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The 1-based line of README.md it is on.
    pub line: usize,
    /// Its words, split at whitespace (no quoting: README commands need none).
    pub words: Vec<String>,
    /// Whether it is inline code in prose, rather than a line of a code block.
    pub inline: bool,
}

impl Command {
    /// The command as one string, words joined by single spaces.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// The cargo subcommand this command runs, if it is a cargo command:
    /// the first word after `cargo` that is not a global option or a
    /// `+toolchain`.
    pub fn cargo_subcommand(&self) -> Option<&str> {
        let mut words = self.words.iter().map(String::as_str);
        if words.next()? != "cargo" {
            return None;
        }
        while let Some(word) = words.next() {
            if GLOBAL_OPTIONS_WITH_VALUE.contains(&word) {
                words.next();
            } else if !word.starts_with(['-', '+']) {
                return Some(word);
            }
        }
        None
    }
}

/// Every command in the shell code blocks of `markdown`, and every inline
/// code span outside code blocks that starts with `cargo `.
///
/// In a `console` block only the lines after a `$ ` prompt are commands (the
/// others are output); in the other shell blocks every line is, except
/// comments. `a && b`, `a; b` and `a | b` are two commands.
pub fn commands(markdown: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut fence: Option<(&str, &str)> = None; // (fence marker, language)
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let (found, inline) = match fence {
            None => match fence_opening(trimmed) {
                Some(opening) => {
                    fence = Some(opening);
                    continue;
                }
                None => (inline_cargo_commands(line), true),
            },
            Some((marker, _)) if trimmed.starts_with(marker) => {
                fence = None;
                continue;
            }
            Some((_, language)) => (block_commands(trimmed, language), false),
        };
        commands.extend(found.into_iter().map(|words| Command {
            line: index + 1,
            words,
            inline,
        }));
    }
    commands
}

/// The words of the commands on one line of a code block in `language`;
/// none unless it is a shell block.
fn block_commands(line: &str, language: &str) -> Vec<Vec<String>> {
    if !SHELL_LANGUAGES.contains(&language) {
        return Vec::new();
    }
    command_text(line, language == "console")
        .map(|command| split_commands(command).collect())
        .unwrap_or_default()
}

/// The words of the cargo commands in a prose line's inline code.
fn inline_cargo_commands(line: &str) -> Vec<Vec<String>> {
    INLINE_CARGO
        .captures_iter(line)
        .flat_map(|captures| {
            split_commands(captures.get(1).map_or("", |m| m.as_str())).collect::<Vec<_>>()
        })
        .collect()
}

/// The fence marker (```` ``` ```` or `~~~`) and language a line opens, if any.
fn fence_opening(line: &str) -> Option<(&'static str, &str)> {
    let marker = ["```", "~~~"].into_iter().find(|m| line.starts_with(m))?;
    let info = line.trim_start_matches(marker.chars().next()?).trim();
    let language = info.split([' ', ',', '{']).next().unwrap_or_default();
    Some((marker, language))
}

/// The command on one line of a shell block, without prompt or comment.
fn command_text(line: &str, prompted_only: bool) -> Option<&str> {
    let command = match line.strip_prefix("$ ") {
        Some(command) => command,
        None if prompted_only => return None,
        None => line,
    };
    let command = command.split(" #").next().unwrap_or_default().trim();
    (!command.is_empty() && !command.starts_with('#')).then_some(command)
}

/// The words of each command in `a && b; c | d`.
fn split_commands(line: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    line.split(['&', ';', '|'])
        .map(|part| {
            part.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|words| !words.is_empty())
}

/// Reads the README of the workspace at `root` and its commands.
pub fn readme_commands(root: &Path) -> Result<Vec<Command>> {
    let path = root.join("README.md");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(commands(&text))
}

/// The aliases `.cargo/config.toml` defines (`cargo book`, ...).
pub fn cargo_aliases(root: &Path) -> Result<BTreeSet<String>> {
    let path = root.join(".cargo/config.toml");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let config: toml::Table =
        toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let aliases = config.get("alias").and_then(toml::Value::as_table);
    Ok(aliases
        .into_iter()
        .flat_map(|table| table.keys().cloned())
        .collect())
}

/// Checks that every `cargo X` of the README is a built-in or an alias.
pub fn check_cargo_subcommands(root: &Path) -> Vec<Problem> {
    let readme = root.join("README.md");
    let (commands, aliases) =
        match readme_commands(root).and_then(|c| Ok((c, cargo_aliases(root)?))) {
            Ok(found) => found,
            Err(err) => return vec![Problem::in_file(root, &readme, format!("{err:#}"))],
        };
    commands
        .iter()
        .filter_map(|command| {
            let subcommand = command.cargo_subcommand()?;
            let known = BUILT_IN.contains(&subcommand) || aliases.contains(subcommand);
            let message = format!(
                "`{}`: `{subcommand}` is neither a cargo command nor an alias in .cargo/config.toml",
                command.text()
            );
            (!known).then(|| Problem::at(root, &readme, command.line, message))
        })
        .collect()
}

/// The binaries of each workspace package, by package name, and the root
/// package's name (where a `cargo run` without `-p` looks).
#[derive(Debug)]
pub struct Binaries {
    /// Package name to its binaries' names.
    pub by_package: BTreeMap<String, BTreeSet<String>>,
    /// The package of the workspace's root manifest, if it has one.
    pub root_package: Option<String>,
}

/// Asks cargo for the workspace's packages and their binaries.
pub fn workspace_binaries(root: &Path) -> Result<Binaries> {
    let metadata = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .exec()
        .context("cargo metadata failed")?;
    let by_package = metadata
        .workspace_packages()
        .into_iter()
        .map(|package| {
            let bins = package
                .targets
                .iter()
                .filter(|t| t.is_bin())
                .map(|t| t.name.clone());
            (package.name.to_string(), bins.collect())
        })
        .collect();
    let root_package = metadata
        .root_package()
        .map(|package| package.name.to_string());
    Ok(Binaries {
        by_package,
        root_package,
    })
}

/// Checks that every `cargo run` of the README names a workspace package
/// (`-p`) that has the binary it names (`--bin`).
pub fn check_cargo_runs(root: &Path) -> Vec<Problem> {
    let readme = root.join("README.md");
    let (commands, binaries) =
        match readme_commands(root).and_then(|c| Ok((c, workspace_binaries(root)?))) {
            Ok(found) => found,
            Err(err) => return vec![Problem::in_file(root, &readme, format!("{err:#}"))],
        };
    commands
        .iter()
        .filter(|command| matches!(command.cargo_subcommand(), Some("run" | "r")))
        .filter_map(|command| {
            let message = check_cargo_run(command, &binaries)?;
            Some(Problem::at(
                root,
                &readme,
                command.line,
                format!("`{}`: {message}", command.text()),
            ))
        })
        .collect()
}

/// What is wrong with one `cargo run`, if anything.
fn check_cargo_run(command: &Command, binaries: &Binaries) -> Option<String> {
    let package = option_value(command, "-p", "--package");
    let bin = option_value(command, "", "--bin");
    let Some(package) = package.or(binaries.root_package.as_deref()) else {
        return Some("names no package (`-p`), and the workspace has no root package".to_owned());
    };
    let Some(bins) = binaries.by_package.get(package) else {
        return Some(format!("there is no workspace package `{package}`"));
    };
    match bin {
        Some(bin) if !bins.contains(bin) => Some(format!(
            "package `{package}` has no binary `{bin}` ({})",
            binary_list(bins)
        )),
        None if bins.len() != 1 => Some(format!(
            "package `{package}` has {} binaries: say which with `--bin`",
            bins.len()
        )),
        _ => None,
    }
}

/// "it has: a, b", or "it has none".
fn binary_list(bins: &BTreeSet<String>) -> String {
    if bins.is_empty() {
        "it has none".to_owned()
    } else {
        let names: Vec<&str> = bins.iter().map(String::as_str).collect();
        format!("it has: {}", names.join(", "))
    }
}

/// The value of option `short`/`long` in a cargo command, before any `--`:
/// `-p x`, `-px`, `--package x` or `--package=x`.
fn option_value<'a>(command: &'a Command, short: &str, long: &str) -> Option<&'a str> {
    let mut words = command
        .words
        .iter()
        .map(String::as_str)
        .take_while(|w| *w != "--");
    while let Some(word) = words.next() {
        if word == long || (!short.is_empty() && word == short) {
            return words.next();
        }
        if let Some(value) = word
            .strip_prefix(long)
            .and_then(|rest| rest.strip_prefix('='))
        {
            return Some(value);
        }
        if let Some(value) = word
            .strip_prefix(short)
            .filter(|v| !short.is_empty() && !v.is_empty())
        {
            return Some(value);
        }
    }
    None
}

/// Checks that the README shows a test command (`cargo test ...` in a code
/// block) and that `.ci/run` runs each one it shows, so what readers run is
/// what CI proves. Inline mentions in prose (`cargo test -p one-chapter`)
/// are examples, not the test command.
pub fn check_test_command_in_ci(root: &Path) -> Vec<Problem> {
    let readme = root.join("README.md");
    let ci = root.join(".ci/run");
    let commands = match readme_commands(root) {
        Ok(commands) => commands,
        Err(err) => return vec![Problem::in_file(root, &readme, format!("{err:#}"))],
    };
    let tests: Vec<&Command> = commands
        .iter()
        .filter(|command| !command.inline)
        .filter(|command| matches!(command.cargo_subcommand(), Some("test" | "t")))
        .collect();
    if tests.is_empty() {
        return vec![Problem::in_file(
            root,
            &readme,
            "shows no `cargo test` command",
        )];
    }
    let script = match fs::read_to_string(&ci) {
        Ok(script) => normalize_spaces(&script),
        Err(err) => {
            return vec![Problem::in_file(
                root,
                &ci,
                format!("cannot read it: {err}"),
            )];
        }
    };
    tests
        .into_iter()
        .filter(|command| !script.contains(&command.text()))
        .map(|command| {
            let message = format!(
                "`{}` is not in .ci/run, so CI does not prove it passes",
                command.text()
            );
            Problem::at(root, &readme, command.line, message)
        })
        .collect()
}

/// `text` with every run of spaces and tabs within a line made one space.
fn normalize_spaces(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(markdown: &str) -> Vec<String> {
        commands(markdown).iter().map(Command::text).collect()
    }

    #[test]
    fn reads_commands_from_shell_blocks_only() {
        let readme = "\
Run `cargo book` from anywhere; `rustup` is not cargo.

```sh
# serve the book
cargo book   # then open the link
cargo build && cargo test --workspace
```

```console
$ cargo run -p ch1-families --bin probe
listening on 127.0.0.1:9999
```

```rust
cargo_is_not_a_command();
```
";
        assert_eq!(
            texts(readme),
            [
                "cargo book",
                "cargo book",
                "cargo build",
                "cargo test --workspace",
                "cargo run -p ch1-families --bin probe"
            ]
        );
        assert_eq!(commands(readme)[4].line, 10);
    }

    #[test]
    fn finds_the_cargo_subcommand_past_global_options() {
        let command = |text: &str| Command {
            line: 1,
            words: text.split(' ').map(str::to_owned).collect(),
            inline: false,
        };
        assert_eq!(
            command("cargo +nightly -C chapters --quiet book").cargo_subcommand(),
            Some("book")
        );
        assert_eq!(command("rustup show").cargo_subcommand(), None);
    }

    #[test]
    fn judges_cargo_runs_against_the_workspace() {
        let binaries = Binaries {
            by_package: BTreeMap::from([
                (
                    "ch1".to_owned(),
                    BTreeSet::from(["probe".to_owned(), "echo".to_owned()]),
                ),
                ("root".to_owned(), BTreeSet::new()),
            ]),
            root_package: Some("root".to_owned()),
        };
        let verdict = |text: &str| {
            let words = text.split(' ').map(str::to_owned).collect();
            let command = Command {
                line: 1,
                words,
                inline: false,
            };
            check_cargo_run(&command, &binaries)
        };
        assert_eq!(verdict("cargo run -p ch1 --bin probe -- --port 0"), None);
        assert_eq!(verdict("cargo run --package=ch1 --bin=echo"), None);
        assert!(
            verdict("cargo run -p ch9 --bin probe")
                .unwrap()
                .contains("no workspace package `ch9`")
        );
        assert!(
            verdict("cargo run -p ch1 --bin nope")
                .unwrap()
                .contains("has no binary `nope`")
        );
        assert!(
            verdict("cargo run -p ch1")
                .unwrap()
                .contains("say which with `--bin`")
        );
        assert!(
            verdict("cargo run --bin probe")
                .unwrap()
                .contains("`root` has no binary `probe`")
        );
    }
}
