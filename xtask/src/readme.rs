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
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use cargo_metadata::MetadataCommand;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use crate::Problem;

/// Cargo's global options that take a value as the next word.
const GLOBAL_OPTIONS_WITH_VALUE: &[&str] = &["-C", "--config", "-Z", "--color"];

/// Fence languages whose lines are commands.
const SHELL_LANGUAGES: &[&str] = &["sh", "bash", "shell", "console", "zsh"];

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

/// A fenced code block (```` ``` ```` or `~~~`) of a Markdown text, as
/// mdBook reads it: with pulldown-cmark, CommonMark's rules and mdBook's
/// options. The README's, the console and the diagram checks all find
/// blocks here, so they agree on what a block is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FencedBlock {
    /// The 1-based line of the opening fence.
    pub line: usize,
    /// The byte offset in the Markdown where the opening fence starts.
    pub offset: usize,
    /// The info string after the opening fence (`rust,ignore`, `sh`), or "".
    pub info: String,
    /// The text between the fences, without the fence's indentation.
    pub body: String,
}

impl FencedBlock {
    /// The first word of the info string: `rust` of `rust,ignore`, `sh` of
    /// `sh title="x"`, "" for a block without one.
    pub fn language(&self) -> &str {
        self.info
            .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
            .next()
            .unwrap_or_default()
    }

    /// The lines of the body, each with its 1-based line in the Markdown.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        let first = self.line + 1;
        self.body
            .lines()
            .enumerate()
            .map(move |(i, line)| (first + i, line))
    }
}

/// The events of `markdown`, each with its byte range, parsed with the
/// extensions mdBook turns on (see `mdbook_markdown::new_cmark_parser`).
pub(crate) fn parse_markdown(markdown: &str) -> pulldown_cmark::OffsetIter<'_> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    Parser::new_ext(markdown, options).into_offset_iter()
}

/// The 1-based line of byte `offset` in `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The fenced code blocks of `markdown`, in order; indented code blocks
/// are not among them.
pub fn fenced_blocks(markdown: &str) -> Vec<FencedBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<FencedBlock> = None;
    for (event, range) in parse_markdown(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                open = Some(FencedBlock {
                    line: line_at(markdown, range.start),
                    offset: range.start,
                    info: info.trim().to_owned(),
                    body: String::new(),
                });
            }
            Event::Text(text) => {
                if let Some(block) = &mut open {
                    block.body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(open.take()),
            _ => {}
        }
    }
    blocks
}

/// Every command in the shell code blocks of `markdown`, and every inline
/// code span (in prose or a table) that starts with `cargo `, in the order
/// of their lines.
///
/// In a `console` block only the lines after a `$ ` prompt are commands (the
/// others are output); in the other shell blocks every line is, except
/// comments. `a && b`, `a; b` and `a | b` are two commands.
pub fn commands(markdown: &str) -> Vec<Command> {
    let mut commands = Vec::new();
    for block in fenced_blocks(markdown) {
        let language = block.language();
        if !SHELL_LANGUAGES.contains(&language) {
            continue;
        }
        for (line, text) in block.lines() {
            let Some(command) = command_text(text.trim_start(), language == "console") else {
                continue;
            };
            commands.extend(split_commands(command).map(|words| Command {
                line,
                words,
                inline: false,
            }));
        }
    }
    for (event, range) in parse_markdown(markdown) {
        if let Event::Code(code) = event
            && code.starts_with("cargo ")
        {
            let line = line_at(markdown, range.start);
            commands.extend(split_commands(&code).map(|words| Command {
                line,
                words,
                inline: true,
            }));
        }
    }
    // Stable: the commands of one line keep their order.
    commands.sort_by_key(|command| command.line);
    commands
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

/// Cargo's own subcommands, as the toolchain's cargo lists them
/// (`cargo --list`): its commands, its aliases (`b`, `t`, ...), and `clippy`
/// and `fmt` where rustup installed them. Not listed: a plug-in that one
/// machine has installed (`cargo nextest`), which `cargo --list` shows
/// without a description, a command cargo calls removed or deprecated, and
/// anyone's own aliases: cargo runs in an empty folder with an empty
/// `CARGO_HOME`, so it reads no configuration.
pub fn cargo_commands() -> Result<BTreeSet<String>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let empty = tempfile::tempdir().context("cannot make an empty folder")?;
    // The plug-ins of the real CARGO_HOME (rustup's `cargo-clippy`) stay on
    // the PATH.
    let mut path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    path.extend(cargo_home().map(|home| home.join("bin")));
    let output = std::process::Command::new(&cargo)
        .arg("--list")
        .current_dir(empty.path())
        .env("CARGO_HOME", empty.path())
        .env("PATH", std::env::join_paths(path)?)
        .output()
        .with_context(|| format!("cannot run {}", Path::new(&cargo).display()))?;
    ensure!(
        output.status.success(),
        "`cargo --list` failed: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(listed_commands(&String::from_utf8_lossy(&output.stdout)))
}

/// `$CARGO_HOME`, or `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
}

/// The commands of a `cargo --list` that have a description and are
/// neither removed nor deprecated.
fn listed_commands(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .filter(|line| line.starts_with(char::is_whitespace))
        .filter_map(|line| {
            let (name, about) = line.trim().split_once(char::is_whitespace)?;
            let about = about.trim_start();
            let retired = about.starts_with("REMOVED") || about.starts_with("DEPRECATED");
            (!retired).then(|| name.to_owned())
        })
        .collect()
}

/// Checks that every `cargo X` of the README is one of cargo's own
/// commands ([`cargo_commands`]) or an alias of the workspace.
pub fn check_cargo_subcommands(root: &Path) -> Vec<Problem> {
    let readme = root.join("README.md");
    let found =
        readme_commands(root).and_then(|c| Ok((c, cargo_aliases(root)?, cargo_commands()?)));
    let (commands, aliases, cargo) = match found {
        Ok(found) => found,
        Err(err) => return vec![Problem::in_file(root, &readme, format!("{err:#}"))],
    };
    commands
        .iter()
        .filter_map(|command| {
            let subcommand = command.cargo_subcommand()?;
            let known = cargo.contains(subcommand) || aliases.contains(subcommand);
            let message = format!(
                "`{}`: `{subcommand}` is neither a command of cargo (`cargo --list`) \
                 nor an alias in .cargo/config.toml",
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
    fn finds_tilde_and_backtick_fences_alike() {
        let markdown = "\
~~~sh
cargo book
~~~

```` console
$ cargo test
```
still inside
````

- In a list:

  ```bash title=\"x\"
  cargo xtask bench
  ```

    indented code is not fenced
";
        let blocks = fenced_blocks(markdown);
        let seen: Vec<(usize, &str, &str)> = blocks
            .iter()
            .map(|b| (b.line, b.language(), b.body.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "sh", "cargo book\n"),
                (5, "console", "$ cargo test\n```\nstill inside\n"),
                (13, "bash", "cargo xtask bench\n"),
            ]
        );
        let lines: Vec<(usize, String)> = commands(markdown)
            .iter()
            .map(|c| (c.line, c.text()))
            .collect();
        assert_eq!(
            lines,
            [
                (2, "cargo book".to_owned()),
                (6, "cargo test".to_owned()),
                (14, "cargo xtask bench".to_owned()),
            ]
        );
    }

    #[test]
    fn inline_cargo_commands_come_from_code_spans_only() {
        let markdown = "\
| run | `cargo run -p a --bin b` |
|---|---|
| `cargo run -p c` `cargo test` | `rustup show` |

A span over two lines: `cargo run
-p d`. Not code: cargo build, nor <!-- `cargo hidden` -->.
";
        let found: Vec<(usize, String, bool)> = commands(markdown)
            .into_iter()
            .map(|c| (c.line, c.text(), c.inline))
            .collect();
        assert_eq!(
            found,
            [
                (1, "cargo run -p a --bin b".to_owned(), true),
                (3, "cargo run -p c".to_owned(), true),
                (3, "cargo test".to_owned(), true),
                (5, "cargo run -p d".to_owned(), true),
            ]
        );
    }

    #[test]
    fn cargo_lists_its_own_commands_but_no_plug_in() {
        let listing = "\
Installed Commands:
    b                    alias: build
    build                Compile a local package and all of its dependencies
    clippy               Checks a package to catch common mistakes and improve your Rust code.
    git-checkout         REMOVED: This command has been removed
    nextest
    read-manifest        DEPRECATED: Print a JSON representation of a Cargo.toml manifest.
";
        assert_eq!(
            listed_commands(listing),
            BTreeSet::from(["b", "build", "clippy"].map(str::to_owned))
        );
        let cargo = cargo_commands().unwrap();
        for command in ["build", "run", "test", "t", "help"] {
            assert!(cargo.contains(command), "{command} not in {cargo:?}");
        }
        // The workspace's aliases are not cargo's.
        assert!(!cargo.contains("book"), "{cargo:?}");
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
