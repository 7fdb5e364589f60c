//! A chapter's `book/chN/transcripts.toml`: what to run, and what the
//! book shows of it.
//!
//! One `[[transcript]]` per run: the servers to start (with `--port 0`; the
//! address each prints replaces `${port}` and `${addr}` in later commands),
//! the commands to run with their stdin, and how to normalise what they
//! print (ports, temporary paths, times). A run writes one or more *blocks*,
//! `book/chN/transcripts/BLOCK.txt`: each is a command as the reader types
//! it (`$ cargo run ...`) followed by what the program printed, stdout and
//! stderr together as a terminal shows them.
//!
//! The spec, field by field (`[[transcript.server]]` and `[[transcript.run]]`
//! may repeat):
//!
//! ```toml
//! packages = ["ch1-families"]        # whose binaries the commands name
//!
//! [[transcript]]
//! id = "echo-tcp"                    # the default block of the runs
//! requires = ["python3"]             # programs from PATH it needs
//! root_only = true                   # it shows what root sees
//! files = { "root/a.txt" = "hi\n" }  # made in the run's folder first
//! replace = [["after \\d+ ms", "after 3 ms"]]  # regex, replacement
//!
//! [[transcript.server]]
//! command = ["echo-server", "--port", "0"]
//! shown = "cargo run -p ch1-families --bin echo-server"  # none: not shown
//! block = "echo-tcp-server"          # the default is ID-server
//! port = 9999                        # the port shown; the default 40000
//! wait_for = "closed after"          # its last line, before it is stopped
//! stop = "kill"                      # or "interrupt" (SIGINT, then wait),
//!                                    # "terminate" (SIGTERM, then wait), or
//!                                    # "exit" (a command stops it: wait)
//! exit_line = "$ echo $?\n{code}"    # shown after its output, once it exited
//!
//! [[transcript.run]]
//! command = ["echo-client", "--port", "${port}"]
//! stdin = "hello\n"
//! shown = "printf 'hello\\n' | cargo run -p ch1-families --bin echo-client"
//! exit_line = "[exit {code}]"       # shown after the output
//! tail = 4                           # only the last lines (or head = N)
//! cwd = "down"; env = { K = "v" }; timeout = 30
//! until = "listening on"             # stop it (SIGKILL) after this line
//! after_stop = true                  # run once the servers have stopped
//! ```
//!
//! A run's commands run in order while its servers run; then the servers
//! are stopped (each awaited, its `exit_line` shown), then the commands with
//! `after_stop` run, to show what a stopped server leaves behind. `until`
//! shows a command that does not end by itself, such as a server started
//! again on the path of one that a command killed: its output up to and
//! including the first line that contains the text.
//!
//! In commands, stdin and files: `${port}`, `${addr}`, `${pid}` (the first
//! server's port, address, process id), `${port2}`, `${addr2}`, `${pid2}`
//! (the second's), `${dir}` (the run's own temporary folder, the working
//! directory), `${root}` (the workspace). A command's first word is a binary
//! of the `packages` if it names one, else a program from PATH; the binaries
//! are first on the PATH the programs get, so that `sh -c "python3 ... |
//! echo-client"` finds them too. `RUST_BACKTRACE` is unset, as on a reader's
//! terminal (an `env` field may set it).
//!
//! What the programs print is normalised as [`crate::normalise`] says.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The prefix of the blocks the exercise checker writes into the same
/// folders (`book/chN/transcripts/exercise-*.txt`); no spec may use it.
pub const EXERCISE_PREFIX: &str = "exercise-";

/// A chapter's `transcripts.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// The packages whose binaries the commands run.
    #[serde(default)]
    pub packages: Vec<String>,
    /// The runs, in order.
    #[serde(default, rename = "transcript")]
    pub transcripts: Vec<Spec>,
}

/// One run: servers, commands, normalisations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The run's name, and the default block of its commands.
    pub id: String,
    /// Programs the run needs from PATH; where one is missing the check
    /// says SKIPPED.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Whether the run needs root (as the book's machine and CI have it);
    /// elsewhere the check says SKIPPED.
    #[serde(default)]
    pub root_only: bool,
    /// Files made in the run's folder before anything starts.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// `[regex, replacement]` pairs applied to every block, last.
    #[serde(default)]
    pub replace: Vec<[String; 2]>,
    /// Servers started first, in order.
    #[serde(default, rename = "server")]
    pub servers: Vec<ServerSpec>,
    /// Commands run one after the other once the servers listen.
    #[serde(default, rename = "run")]
    pub runs: Vec<RunSpec>,
}

/// A server of a run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// The command as the book shows it; `None`: the server is not shown.
    pub shown: Option<String>,
    /// The block it is shown in; the default is `ID-server`.
    pub block: Option<String>,
    /// The port the book shows for it; the default is 40000.
    pub port: Option<u16>,
    /// Text of the last line it prints, awaited before it is stopped.
    pub wait_for: Option<String>,
    /// How it is stopped: `kill` (the default), `interrupt` (SIGINT) or
    /// `terminate` (SIGTERM), then its exit is awaited; or `exit`: a command
    /// of the run stopped it (`kill -INT ${pid}`), its exit is awaited.
    #[serde(default)]
    pub stop: Stop,
    /// Shown after its output, once it exited: `{code}` is its exit code.
    pub exit_line: Option<String>,
    /// Its working directory, relative to the run's folder.
    pub cwd: Option<String>,
    /// Environment variables it gets.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// How a server is stopped at the end of a run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stop {
    /// SIGKILL: nothing more is printed.
    #[default]
    Kill,
    /// SIGINT, as Ctrl-C sends it; what it prints then is shown.
    Interrupt,
    /// SIGTERM, as `kill PID` sends it; what it prints then is shown.
    Terminate,
    /// Nothing is sent: a command of the run made it exit, or will.
    Exit,
}

/// A command of a run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// The command as the book shows it; `None`: run but not shown.
    pub shown: Option<String>,
    /// What it reads on stdin; nothing if absent.
    pub stdin: Option<String>,
    /// The block it is shown in; the default is the run's id.
    pub block: Option<String>,
    /// Shown after its output: `{code}` is its exit code.
    pub exit_line: Option<String>,
    /// Show only the first lines of its output.
    pub head: Option<usize>,
    /// Show only the last lines of its output.
    pub tail: Option<usize>,
    /// Its working directory, relative to the run's folder.
    pub cwd: Option<String>,
    /// Environment variables it gets.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Seconds it may take; 60 by default.
    pub timeout: Option<u64>,
    /// Stop it (SIGKILL) once it printed a line containing this text; its
    /// output up to that line is shown. For a command that does not end.
    pub until: Option<String>,
    /// Run it after the servers have been stopped, not while they run.
    #[serde(default)]
    pub after_stop: bool,
}

impl Spec {
    /// The block a shown server goes to.
    pub fn server_block(&self, server: &ServerSpec) -> String {
        server
            .block
            .clone()
            .unwrap_or_else(|| format!("{}-server", self.id))
    }

    /// The block a shown command goes to.
    pub fn run_block(&self, run: &RunSpec) -> String {
        run.block.clone().unwrap_or_else(|| self.id.clone())
    }

    /// The blocks this run writes: those of its shown servers and commands.
    pub fn blocks(&self) -> BTreeSet<String> {
        let servers = self
            .servers
            .iter()
            .filter(|s| s.shown.is_some())
            .map(|s| self.server_block(s));
        let runs = self
            .runs
            .iter()
            .filter(|r| r.shown.is_some())
            .map(|r| self.run_block(r));
        servers.chain(runs).collect()
    }

    /// The first words of its commands: the programs it starts.
    pub fn programs(&self) -> impl Iterator<Item = &str> {
        let servers = self.servers.iter().map(|s| &s.command);
        let runs = self.runs.iter().map(|r| &r.command);
        servers
            .chain(runs)
            .filter_map(|command| command.first().map(String::as_str))
    }
}

/// One chapter's spec file and where its blocks go.
#[derive(Debug)]
pub struct Chapter {
    /// The chapter's folder of the book: `ch1`.
    pub name: String,
    /// `book/chN/transcripts.toml`.
    pub spec_path: PathBuf,
    /// `book/chN/transcripts/`.
    pub out_dir: PathBuf,
    /// What the file says.
    pub spec: SpecFile,
}

impl Chapter {
    /// The chapter of `book/NAME/transcripts.toml` under `root`.
    pub fn read(root: &Path, name: &str) -> Result<Self> {
        let dir = root.join("book").join(name);
        let spec_path = dir.join("transcripts.toml");
        let text = fs::read_to_string(&spec_path)
            .with_context(|| format!("cannot read {}", spec_path.display()))?;
        let spec: SpecFile = toml::from_str(&text)
            .with_context(|| format!("{} is malformed", spec_path.display()))?;
        let chapter = Self {
            name: name.to_owned(),
            spec_path,
            out_dir: dir.join("transcripts"),
            spec,
        };
        chapter.check_blocks()?;
        Ok(chapter)
    }

    /// Every block of every run, as files.
    pub fn files(&self) -> BTreeSet<PathBuf> {
        self.spec
            .transcripts
            .iter()
            .flat_map(Spec::blocks)
            .map(|block| self.file(&block))
            .collect()
    }

    /// The file of a block.
    pub fn file(&self, block: &str) -> PathBuf {
        self.out_dir.join(format!("{block}.txt"))
    }

    /// The `.txt` files in the chapter's transcripts folder that no run of
    /// its spec writes (the exercise checker's excepted), sorted.
    pub fn stale_files(&self) -> Vec<PathBuf> {
        let made = self.files();
        let Ok(entries) = fs::read_dir(&self.out_dir) else {
            return Vec::new();
        };
        let mut stale: Vec<PathBuf> = entries
            .flatten()
            .filter(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.ends_with(".txt") && !name.starts_with(EXERCISE_PREFIX)
            })
            .map(|entry| entry.path())
            .filter(|path| !made.contains(path))
            .collect();
        stale.sort();
        stale
    }

    /// Block names are the spec's own: none starts with the checker's prefix.
    fn check_blocks(&self) -> Result<()> {
        for spec in &self.spec.transcripts {
            if let Some(block) = spec
                .blocks()
                .iter()
                .find(|b| b.starts_with(EXERCISE_PREFIX))
            {
                bail!(
                    "{}: transcript {}: the block `{block}` starts with `{EXERCISE_PREFIX}`, \
                     which the exercise checker's blocks use",
                    self.spec_path.display(),
                    spec.id
                );
            }
        }
        Ok(())
    }
}

/// Every chapter with a `transcripts.toml` directly inside a folder of
/// `book/`, sorted.
pub fn chapters(root: &Path) -> Result<Vec<Chapter>> {
    let book = root.join("book");
    let mut names: Vec<String> = fs::read_dir(&book)
        .with_context(|| format!("cannot list {}", book.display()))?
        .flatten()
        .filter(|entry| entry.path().join("transcripts.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.iter().map(|name| Chapter::read(root, name)).collect()
}

/// The packages all the chapters' commands need built.
pub fn packages(chapters: &[Chapter]) -> Vec<String> {
    let mut packages: Vec<String> = chapters
        .iter()
        .flat_map(|c| c.spec.packages.iter().cloned())
        .collect();
    packages.sort();
    packages.dedup();
    packages
}

/// The binaries of the workspace package `package` (one of `chapters/*`):
/// its `[[bin]]` targets and its `src/bin/*.rs`.
pub fn binaries(root: &Path, package: &str) -> Result<BTreeSet<String>> {
    let chapters = root.join("chapters");
    for entry in fs::read_dir(&chapters)
        .with_context(|| format!("cannot list {}", chapters.display()))?
        .flatten()
    {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        let value: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{} is malformed", manifest.display()))?;
        let name = value
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str());
        if name != Some(package) {
            continue;
        }
        let mut bins: BTreeSet<String> = value
            .get("bin")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
            .filter_map(|bin| bin.get("name")?.as_str().map(str::to_owned))
            .collect();
        if let Ok(files) = fs::read_dir(entry.path().join("src/bin")) {
            bins.extend(files.flatten().filter_map(|file| {
                let name = file.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".rs").map(str::to_owned)
            }));
        }
        return Ok(bins);
    }
    bail!("no package {package} in {}", chapters.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> &'static Path {
        crate::workspace_root()
    }

    /// A `^` or `$` in a normalisation matches the start or end of the whole
    /// block unless the rule is multi-line: a machine-specific line that is
    /// not the block's first (a kernel name, say) would then go through
    /// untouched, and the transcript would hold only on the machine that
    /// wrote it.
    #[test]
    fn every_anchored_normalisation_applies_to_every_line() {
        let chapters = chapters(root()).unwrap();
        assert!(!chapters.is_empty(), "no book/chN/transcripts.toml found");
        let mut single_line = Vec::new();
        for chapter in &chapters {
            for spec in &chapter.spec.transcripts {
                for [pattern, _] in &spec.replace {
                    let anchored = pattern.starts_with('^')
                        || pattern.contains("|^")
                        || pattern.ends_with('$');
                    if anchored && !pattern.starts_with("(?m)") {
                        single_line.push(format!(
                            "{} ({}): {pattern:?}",
                            chapter.spec_path.display(),
                            spec.id
                        ));
                    }
                }
            }
        }
        assert!(
            single_line.is_empty(),
            "anchored rules without (?m):\n{}",
            single_line.join("\n")
        );
    }

    #[test]
    fn every_package_a_spec_lists_has_binaries() {
        for chapter in chapters(root()).unwrap() {
            assert!(!chapter.spec.packages.is_empty(), "{}", chapter.name);
            for package in &chapter.spec.packages {
                let bins = binaries(root(), package).unwrap();
                assert!(
                    !bins.is_empty(),
                    "{}: {package} has no binaries",
                    chapter.name
                );
            }
        }
    }

    #[test]
    fn the_blocks_of_every_spec_are_its_files_and_none_is_stale() {
        for chapter in chapters(root()).unwrap() {
            assert!(
                chapter.stale_files().is_empty(),
                "{}: files no transcript writes: {:?}",
                chapter.name,
                chapter.stale_files()
            );
        }
    }

    #[test]
    fn a_spec_block_with_the_checkers_prefix_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("book/ch9")).unwrap();
        fs::write(
            dir.path().join("book/ch9/transcripts.toml"),
            "[[transcript]]\nid = \"exercise-x\"\n[[transcript.run]]\ncommand = [\"true\"]\nshown = \"true\"\n",
        )
        .unwrap();
        let err = Chapter::read(dir.path(), "ch9").unwrap_err();
        assert!(format!("{err:#}").contains("exercise-"), "{err:#}");
    }

    #[test]
    fn binaries_are_read_from_the_manifest() {
        let bins = binaries(root(), "ch5-socketserver").unwrap();
        assert!(bins.contains("upper-client"), "{bins:?}");
        assert!(binaries(root(), "no-such-package").is_err());
    }
}
