//! Transcripts: the console output the book shows, made by the programs.
//!
//! Each chapter that shows output has a spec, `book/chN/transcripts.toml`,
//! one `[[transcript]]` per run: the servers to start (with `--port 0`; the
//! address each prints replaces `${port}` and `${addr}` in later commands),
//! the commands to run with their stdin, and how to normalise what they
//! print (ports, temporary paths, times). A run writes one or more *blocks*,
//! `book/chN/transcripts/BLOCK.txt`: each is a command as the reader types
//! it (`$ cargo run ...`) followed by what the program printed, stdout and
//! stderr together as a terminal shows them. The pages pull the blocks into
//! ```` ```console ```` fences with `{{#include}}`.
//!
//! `cargo xtask transcripts` runs every spec and rewrites the blocks;
//! `tests/transcripts.rs` runs every spec and fails, with a diff, where a
//! program no longer prints what the book says.
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
//! of the `packages` if there is one, else a program from PATH; the binaries
//! are first on the PATH the programs get, so that `sh -c "python3 ... |
//! echo-client"` finds them too. `RUST_BACKTRACE` is unset, as on a reader's
//! terminal (an `env` field may set it).
//!
//! What the programs print is normalised in this order: the run's folder
//! becomes `/tmp`, the workspace root `.`, each server's port the port it
//! shows, every other loopback port `40001`, `40002`, ... in order of
//! appearance (from `40000` in a run without servers), then the `replace`
//! rules apply.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use regex::Regex;
use serde::Deserialize;

use crate::Problem;

/// How long a server may take to print `listening on ADDR`.
const STARTUP: Duration = Duration::from_secs(20);
/// How long a command may run, unless its spec says otherwise.
const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// How long a server may take to print its `wait_for` line, or to exit
/// after SIGINT.
const SERVER_WAIT: Duration = Duration::from_secs(20);

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

/// Where the programs are and where the book is.
#[derive(Debug, Clone)]
pub struct Programs {
    /// The workspace root.
    pub root: PathBuf,
    /// The folder with the built binaries (`target/debug`).
    pub bin_dir: PathBuf,
}

/// One chapter's spec file and where its blocks go.
#[derive(Debug)]
pub struct Chapter {
    /// `book/chN/transcripts.toml`.
    pub spec_path: PathBuf,
    /// `book/chN/transcripts/`.
    pub out_dir: PathBuf,
    /// What the file says.
    pub spec: SpecFile,
}

/// Every `transcripts.toml` directly inside a folder of `book/`, sorted.
pub fn chapters(root: &Path) -> Result<Vec<Chapter>> {
    let book = root.join("book");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&book)
        .with_context(|| format!("cannot list {}", book.display()))?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.join("transcripts.toml").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let spec_path = dir.join("transcripts.toml");
            let text = fs::read_to_string(&spec_path)
                .with_context(|| format!("cannot read {}", spec_path.display()))?;
            let spec: SpecFile = toml::from_str(&text)
                .with_context(|| format!("{} is malformed", spec_path.display()))?;
            Ok(Chapter {
                spec_path,
                out_dir: dir.join("transcripts"),
                spec,
            })
        })
        .collect()
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

/// Builds the binaries of `packages` with cargo into `target_dir` and
/// returns the folder that holds them.
///
/// From inside `cargo test`, `target_dir` must not be the test's own target
/// folder: cargo would wait for the lock the running test build holds.
pub fn build_programs(root: &Path, packages: &[String], target_dir: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--quiet", "--bins", "--target-dir"])
        .arg(target_dir);
    for package in packages {
        command.args(["-p", package]);
    }
    let status = command.status().context("cannot run cargo build")?;
    ensure!(status.success(), "cargo build of {packages:?} failed");
    Ok(target_dir.join("debug"))
}

/// What a run of one spec printed, block by block, normalised.
pub type Blocks = BTreeMap<String, String>;

/// A block whose committed file no longer says what the programs print.
#[derive(Debug)]
pub struct Mismatch {
    /// The committed file.
    pub file: PathBuf,
    /// How it differs: `-` committed lines, `+` printed ones.
    pub diff: String,
}

/// Runs every spec of `chapter` and writes its blocks; returns the files
/// written.
pub fn regenerate(chapter: &Chapter, programs: &Programs) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(&chapter.out_dir)
        .with_context(|| format!("cannot create {}", chapter.out_dir.display()))?;
    let mut written = Vec::new();
    for spec in &chapter.spec.transcripts {
        if let Some(missing) = missing_requirement(spec) {
            eprintln!("SKIPPED: transcript {} needs {missing}, not found", spec.id);
            continue;
        }
        let blocks = run(spec, programs).with_context(|| format!("transcript {}", spec.id))?;
        for (block, text) in blocks {
            let path = chapter.out_dir.join(format!("{block}.txt"));
            fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Runs every spec of `chapter` and compares its blocks with the committed
/// files. Transcripts whose requirements are missing are skipped, and said
/// so on stderr.
pub fn check(chapter: &Chapter, programs: &Programs) -> Vec<Problem> {
    let mut problems = Vec::new();
    for spec in &chapter.spec.transcripts {
        if let Some(missing) = missing_requirement(spec) {
            eprintln!("SKIPPED: transcript {} needs {missing}, not found", spec.id);
            continue;
        }
        let blocks = match run(spec, programs) {
            Ok(blocks) => blocks,
            Err(err) => {
                problems.push(Problem::in_file(
                    &programs.root,
                    &chapter.spec_path,
                    format!("transcript {}: {err:#}", spec.id),
                ));
                continue;
            }
        };
        for (block, text) in blocks {
            let file = chapter.out_dir.join(format!("{block}.txt"));
            let committed = fs::read_to_string(&file).unwrap_or_default();
            if committed != text {
                let message = format!(
                    "transcript {} no longer matches what the programs print \
                     (`cargo xtask transcripts` rewrites it):\n{}",
                    spec.id,
                    diff(&committed, &text)
                );
                problems.push(Problem::in_file(&programs.root, &file, message));
            }
        }
    }
    problems
}

/// The first program of `spec.requires` that is not on PATH, or "root".
fn missing_requirement(spec: &Spec) -> Option<&str> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if spec.root_only && unsafe { libc::geteuid() } != 0 {
        return Some("root");
    }
    spec.requires
        .iter()
        .find(|program| find_in_path(program).is_none())
        .map(String::as_str)
}

/// Where `program` is on PATH, if it is.
fn find_in_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    })
}

/// Runs one spec in a fresh temporary folder and returns its blocks.
pub fn run(spec: &Spec, programs: &Programs) -> Result<Blocks> {
    let dir = tempfile::tempdir().context("cannot make a folder for the run")?;
    let dir_path = dir.path().to_path_buf();
    let mut vars = Vars {
        dir: dir_path.display().to_string(),
        root: programs.root.display().to_string(),
        servers: Vec::new(),
        pids: Vec::new(),
    };
    for (name, text) in &spec.files {
        let path = dir_path.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, vars.expand(text))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }

    let mut raw: Vec<(String, String)> = Vec::new(); // (block, text) in order
    let mut servers = Vec::new();
    for (index, server) in spec.servers.iter().enumerate() {
        let running = RunningServer::start(server, &vars, programs, &dir_path)
            .with_context(|| format!("server {}", index + 1))?;
        vars.servers.push(running.address.clone());
        vars.pids.push(running.child.id());
        servers.push(running);
    }
    let run_all = |after_stop: bool, raw: &mut Vec<(String, String)>| -> Result<()> {
        for run_spec in spec.runs.iter().filter(|r| r.after_stop == after_stop) {
            let text = run_command(run_spec, &vars, programs, &dir_path)?;
            if let Some(shown) = &run_spec.shown {
                let block = run_spec.block.clone().unwrap_or_else(|| spec.id.clone());
                raw.push((block, format!("$ {shown}\n{text}")));
            }
        }
        Ok(())
    };
    run_all(false, &mut raw)?;
    // Servers are shown before the commands that talked to them.
    let mut server_blocks = Vec::new();
    for (server, running) in spec.servers.iter().zip(servers) {
        let text = running.finish(server)?;
        if let Some(shown) = &server.shown {
            let block = server
                .block
                .clone()
                .unwrap_or_else(|| format!("{}-server", spec.id));
            server_blocks.push((block, format!("$ {shown}\n{text}")));
        }
    }
    run_all(true, &mut raw)?;
    server_blocks.extend(raw);

    let mut normaliser = Normaliser::new(spec, &vars)?;
    let mut blocks = Blocks::new();
    for (block, text) in server_blocks {
        let text = normaliser.apply(&text);
        blocks.entry(block).or_default().push_str(&text);
    }
    drop(dir);
    Ok(blocks)
}

/// The values of the placeholders of a run.
#[derive(Debug)]
struct Vars {
    dir: String,
    root: String,
    /// Each server's address as it printed it.
    servers: Vec<String>,
    /// Each server's process id.
    pids: Vec<u32>,
}

impl Vars {
    /// `text` with `${port}`, `${addr}`, `${pid}`, `${portN}`, `${addrN}`,
    /// `${pidN}`, `${dir}`, `${root}` replaced.
    fn expand(&self, text: &str) -> String {
        let mut out = text
            .replace("${dir}", &self.dir)
            .replace("${root}", &self.root);
        for (index, addr) in self.servers.iter().enumerate() {
            let port = addr
                .parse::<SocketAddr>()
                .map(|a| a.port().to_string())
                .unwrap_or_default();
            let suffix = if index == 0 {
                String::new()
            } else {
                (index + 1).to_string()
            };
            out = out
                .replace(&format!("${{port{suffix}}}"), &port)
                .replace(&format!("${{addr{suffix}}}"), addr);
            if let Some(pid) = self.pids.get(index) {
                out = out.replace(&format!("${{pid{suffix}}}"), &pid.to_string());
            }
        }
        out
    }
}

/// A `Command` for `words`: the first is a built binary if there is one.
fn command_for(
    words: &[String],
    vars: &Vars,
    programs: &Programs,
    dir: &Path,
    cwd: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<Command> {
    let (program, args) = words.split_first().context("an empty command")?;
    let built = programs.bin_dir.join(program);
    let mut command = if built.is_file() {
        Command::new(built)
    } else {
        Command::new(program)
    };
    command.args(args.iter().map(|arg| vars.expand(arg)));
    book_support::process::default_signals(&mut command);
    command.current_dir(match cwd {
        Some(cwd) => dir.join(vars.expand(cwd)),
        None => dir.to_path_buf(),
    });
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path = std::env::join_paths(
        std::iter::once(programs.bin_dir.clone()).chain(std::env::split_paths(&path)),
    )
    .context("a PATH that cannot be joined")?;
    command.env("PATH", path);
    // A panic prints what it prints on a reader's terminal, not a backtrace.
    command.env_remove("RUST_BACKTRACE");
    command.env_remove("RUST_LIB_BACKTRACE");
    for (key, value) in env {
        command.env(key, vars.expand(value));
    }
    Ok(command)
}

/// Gives `command` one pipe for stdout and stderr, as a terminal shows both
/// in the order they were written, and returns the pipe's reading end.
fn merge_output(command: &mut Command) -> Result<std::io::PipeReader> {
    let (reader, writer) = std::io::pipe().context("cannot make a pipe")?;
    command.stdout(writer.try_clone().context("cannot share a pipe")?);
    command.stderr(writer);
    Ok(reader)
}

/// Runs one command to its end and returns what it printed, with its
/// `exit_line`, `head` and `tail` applied.
fn run_command(spec: &RunSpec, vars: &Vars, programs: &Programs, dir: &Path) -> Result<String> {
    let mut command = command_for(
        &spec.command,
        vars,
        programs,
        dir,
        spec.cwd.as_deref(),
        &spec.env,
    )?;
    let reader = merge_output(&mut command)?;
    command.stdin(Stdio::piped());
    let shown = spec.command.join(" ");
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start `{shown}`"))?;
    drop(command); // our copies of the pipe's writing end
    let stdin = child.stdin.take().context("stdin is piped")?;
    let input = spec
        .stdin
        .as_deref()
        .map(|s| vars.expand(s))
        .unwrap_or_default();
    let feeder = thread::spawn(move || {
        let mut stdin = stdin;
        // A program that exits without reading is no error of ours.
        let _ = stdin.write_all(input.as_bytes());
    });
    let timeout = Duration::from_secs(spec.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS));
    let output = match &spec.until {
        Some(until) => read_until_within(reader, until, timeout).inspect(|_| {
            // It printed what was awaited; it would run on.
            let _ = child.kill();
        }),
        None => read_to_end_within(reader, timeout),
    };
    let output = match output {
        Ok(output) => output,
        Err(err) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(err.context(format!("`{shown}`")));
        }
    };
    let status = wait_within(&mut child, timeout).with_context(|| format!("`{shown}`"))?;
    let _ = feeder.join();
    let mut text = select_lines(&output, spec.head, spec.tail);
    if let Some(exit_line) = &spec.exit_line {
        let _ = writeln!(text, "{}", exit_line.replace("{code}", &code(status)));
    }
    Ok(text)
}

/// An exit code as the shell's `$?` shows it.
fn code(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => code.to_string(),
        (None, Some(signal)) => (128 + signal).to_string(),
        (None, None) => "?".to_owned(),
    }
}

/// `text` cut to its first `head` or last `tail` lines, ending in a newline
/// unless empty.
fn select_lines(text: &str, head: Option<usize>, tail: Option<usize>) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(head) = head {
        lines.truncate(head);
    }
    if let Some(tail) = tail {
        lines = lines.split_off(lines.len().saturating_sub(tail));
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// Reads `reader` to its end on a thread, waiting at most `timeout`.
fn read_to_end_within(reader: impl Read + Send + 'static, timeout: Duration) -> Result<String> {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = reader;
        let mut bytes = Vec::new();
        let outcome = reader.read_to_end(&mut bytes).map(|_| bytes);
        let _ = done.send(outcome);
    });
    match result.recv_timeout(timeout) {
        Ok(Ok(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(Err(err)) => Err(anyhow!(err).context("cannot read its output")),
        Err(_) => bail!("still printing after {} s", timeout.as_secs()),
    }
}

/// Reads `reader` line by line on a thread until a line contains `until`,
/// waiting at most `timeout`; returns the lines up to and including it.
fn read_until_within(
    reader: impl Read + Send + 'static,
    until: &str,
    timeout: Duration,
) -> Result<String> {
    let (send, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + timeout;
    let mut text = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(until);
                text.push_str(&line);
                text.push('\n');
                if found {
                    return Ok(text);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                bail!("it ended without printing {until:?}; it printed:\n{text}")
            }
            Err(RecvTimeoutError::Timeout) => bail!(
                "it printed no {until:?} within {} s; it printed:\n{text}",
                timeout.as_secs()
            ),
        }
    }
}

/// Waits for `child` to exit, at most `timeout` (its output has ended, so
/// it is exiting).
fn wait_within(child: &mut Child, timeout: Duration) -> Result<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("did not exit within {} s", timeout.as_secs());
        }
        // The output pipe is closed or the process was signalled: its exit
        // is a matter of moments, and the deadline bounds the wait.
        thread::sleep(Duration::from_millis(5));
    }
}

/// A server of a run, started and listening.
struct RunningServer {
    child: Child,
    address: String,
    /// Its lines after the first, as they come.
    lines: Receiver<String>,
    /// Its first line, `listening on ADDR`.
    first: String,
}

impl RunningServer {
    /// Starts the server and waits for its `listening on` line.
    fn start(spec: &ServerSpec, vars: &Vars, programs: &Programs, dir: &Path) -> Result<Self> {
        let mut command = command_for(
            &spec.command,
            vars,
            programs,
            dir,
            spec.cwd.as_deref(),
            &spec.env,
        )?;
        let reader = merge_output(&mut command)?;
        command.stdin(Stdio::null());
        let shown = spec.command.join(" ");
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start `{shown}`"))?;
        drop(command);
        let (send, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(reader).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let first = match lines.recv_timeout(STARTUP) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!(
                    "`{shown}` printed no first line within {} s",
                    STARTUP.as_secs()
                );
            }
        };
        let Some(address) = first.strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("`{shown}` printed {first:?}, not `listening on ADDR`");
        };
        Ok(Self {
            address: address.trim().to_owned(),
            child,
            lines,
            first,
        })
    }

    /// Waits for the server's `wait_for` line, stops it and returns all it
    /// printed (with its `exit_line` when it was interrupted).
    fn finish(mut self, spec: &ServerSpec) -> Result<String> {
        let mut text = format!("{}\n", self.first);
        let seen = |line: String, text: &mut String| {
            let found = spec.wait_for.as_ref().is_some_and(|w| line.contains(w));
            text.push_str(&line);
            text.push('\n');
            found
        };
        if let Some(wanted) = &spec.wait_for {
            let deadline = Instant::now() + SERVER_WAIT;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.lines.recv_timeout(left) {
                    Ok(line) => {
                        if seen(line, &mut text) {
                            break;
                        }
                    }
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                        let _ = self.child.kill();
                        let _ = self.child.wait();
                        bail!("the server never printed {wanted:?}; it printed:\n{text}");
                    }
                }
            }
        }
        let signal = match spec.stop {
            Stop::Kill => {
                let _ = self.child.kill();
                None
            }
            Stop::Interrupt => Some(libc::SIGINT),
            Stop::Terminate => Some(libc::SIGTERM),
            Stop::Exit => None,
        };
        if let Some(signal) = signal {
            let pid = libc::pid_t::try_from(self.child.id()).context("a pid out of range")?;
            // SAFETY: kill(2) with a pid we spawned and have not reaped.
            unsafe { libc::kill(pid, signal) };
        }
        let status = wait_within(&mut self.child, SERVER_WAIT)?;
        // The rest of its output, now that it has exited.
        let deadline = Instant::now() + SERVER_WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    seen(line, &mut text);
                }
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => bail!("the server's output did not end"),
            }
        }
        if let Some(exit_line) = &spec.exit_line {
            let _ = writeln!(text, "{}", exit_line.replace("{code}", &code(status)));
        }
        Ok(text)
    }
}

impl Drop for RunningServer {
    /// A run that failed half-way leaves no server behind. (After `finish`
    /// the child is reaped: `kill` then sends nothing.)
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Makes a run's output the same from one run to the next.
struct Normaliser {
    literal: Vec<(String, String)>,
    server_ports: Vec<(Regex, String)>,
    loopback: Regex,
    other_ports: BTreeMap<String, String>,
    next_port: u16,
    reserved: Vec<String>,
    rules: Vec<(Regex, String)>,
}

impl Normaliser {
    fn new(spec: &Spec, vars: &Vars) -> Result<Self> {
        let mut literal = vec![(format!("{}/", vars.dir), "/tmp/".to_owned())];
        literal.push((vars.dir.clone(), "/tmp".to_owned()));
        literal.push((format!("{}/", vars.root), String::new()));
        literal.push((vars.root.clone(), ".".to_owned()));
        let mut server_ports = Vec::new();
        let mut reserved = Vec::new();
        for (index, (addr, server)) in vars.servers.iter().zip(&spec.servers).enumerate() {
            if let Ok(addr) = addr.parse::<SocketAddr>() {
                let shown = server
                    .port
                    .unwrap_or(40000 + u16::try_from(index).unwrap_or(0) * 100)
                    .to_string();
                let regex = Regex::new(&format!(r"\b{}\b", addr.port()))?;
                reserved.push(shown.clone());
                server_ports.push((regex, shown));
            }
        }
        let rules = spec
            .replace
            .iter()
            .map(|[pattern, with]| {
                Ok((
                    Regex::new(pattern).with_context(|| format!("bad regex {pattern:?}"))?,
                    with.clone(),
                ))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            literal,
            server_ports,
            loopback: Regex::new(r"(127\.\d+\.\d+\.\d+|\[::1\]|localhost):(\d{4,5})\b")?,
            other_ports: BTreeMap::new(),
            // Without servers, the first port seen is the usual 40000.
            next_port: if vars.servers.is_empty() {
                40000
            } else {
                40001
            },
            reserved,
            rules,
        })
    }

    fn apply(&mut self, text: &str) -> String {
        let mut text = text.to_owned();
        for (from, to) in &self.literal {
            text = text.replace(from.as_str(), to);
        }
        for (regex, shown) in &self.server_ports {
            text = regex.replace_all(&text, shown.as_str()).into_owned();
        }
        let loopback = self.loopback.clone();
        text = loopback
            .replace_all(&text, |captures: &regex::Captures<'_>| {
                let port = captures[2].to_owned();
                let shown = if self.reserved.contains(&port) {
                    port
                } else {
                    self.other_port(&port)
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

pub use book_support::diff::lines as diff;

#[cfg(test)]
mod tests {
    use super::*;

    fn programs() -> Programs {
        Programs {
            root: crate::workspace_root().to_path_buf(),
            bin_dir: PathBuf::from("/nonexistent"),
        }
    }

    fn spec(text: &str) -> Spec {
        let file: SpecFile = toml::from_str(text).unwrap();
        file.transcripts.into_iter().next().unwrap()
    }

    #[test]
    fn runs_commands_with_stdin_and_normalises_what_they_print() {
        let spec = spec(
            r#"
[[transcript]]
id = "t"
files = { "in.txt" = "from a file in ${dir}\n" }
replace = [["took \\d+ ms", "took 5 ms"]]

[[transcript.run]]
command = ["sh", "-c", "cat in.txt; cat; echo oops >&2; echo 127.0.0.1:51234 127.0.0.1:51234 [::1]:61000; echo took 93 ms; exit 3"]
stdin = "typed\n"
shown = "sh demo"
exit_line = "[exit {code}]"

[[transcript.run]]
command = ["true"]
"#,
        );
        let blocks = run(&spec, &programs()).unwrap();
        assert_eq!(
            blocks["t"],
            "$ sh demo\nfrom a file in /tmp\ntyped\noops\n127.0.0.1:40000 127.0.0.1:40000 [::1]:40001\ntook 5 ms\n[exit 3]\n"
        );
        assert_eq!(blocks.len(), 1);
    }

    #[test]
    fn a_command_that_never_ends_is_an_error_in_bounded_time() {
        let spec = spec(
            "[[transcript]]\nid = \"t\"\n[[transcript.run]]\ncommand = [\"sleep\", \"30\"]\ntimeout = 1\n",
        );
        let started = Instant::now();
        let err = run(&spec, &programs()).unwrap_err();
        assert!(format!("{err:#}").contains("still printing"), "{err:#}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn commands_signal_servers_by_pid_and_run_after_they_stopped() {
        // The spec puts the `after_stop` command first: it still runs last.
        let spec = spec(
            r#"
[[transcript]]
id = "t"

[[transcript.server]]
command = ["sh", "-c", "echo listening on nowhere; exec sleep 30"]
shown = "server one"
stop = "exit"
exit_line = "$ echo $?\n{code}"

[[transcript.server]]
command = ["sh", "-c", "echo listening on elsewhere; exec sleep 30"]
shown = "server two"
block = "two"
stop = "terminate"
exit_line = "[exit {code}]"

[[transcript.run]]
command = ["sh", "-c", "kill -0 ${pid} 2>/dev/null && echo alive || echo gone"]
shown = "is it there?"
after_stop = true

[[transcript.run]]
command = ["sh", "-c", "kill -0 ${pid} && kill -0 ${pid2} && echo both alive"]
shown = "are they there?"

[[transcript.run]]
command = ["kill", "-INT", "${pid}"]
shown = "kill -INT $(pgrep -n server)"
"#,
        );
        let started = Instant::now();
        let blocks = run(&spec, &programs()).unwrap();
        assert_eq!(
            blocks["t-server"],
            "$ server one\nlistening on nowhere\n$ echo $?\n130\n"
        );
        assert_eq!(
            blocks["two"],
            "$ server two\nlistening on elsewhere\n[exit 143]\n"
        );
        assert_eq!(
            blocks["t"],
            "$ are they there?\nboth alive\n$ kill -INT $(pgrep -n server)\n$ is it there?\ngone\n"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_command_that_does_not_end_is_shown_until_a_line() {
        let spec = spec(
            r#"
[[transcript]]
id = "t"
[[transcript.run]]
command = ["sh", "-c", "echo one; echo listening on here; echo later; exec sleep 30"]
shown = "forever"
until = "listening on"
[[transcript.run]]
command = ["sh", "-c", "echo done; exec sleep 30"]
until = "never printed"
timeout = 1
"#,
        );
        let started = Instant::now();
        let err = run(&spec, &programs()).unwrap_err();
        assert!(
            format!("{err:#}").contains("no \"never printed\""),
            "{err:#}"
        );
        let mut spec = spec;
        spec.runs.pop();
        let blocks = run(&spec, &programs()).unwrap();
        assert_eq!(blocks["t"], "$ forever\none\nlistening on here\n");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn commands_find_the_binaries_first_on_path_and_no_backtrace_setting() {
        let spec = spec(
            r#"
[[transcript]]
id = "t"
[[transcript.run]]
command = ["sh", "-c", "case $PATH in /nonexistent:*) echo first;; esac; echo ${RUST_BACKTRACE:-unset}"]
shown = "env"
[[transcript.run]]
command = ["sh", "-c", "echo $RUST_BACKTRACE"]
env = { RUST_BACKTRACE = "1" }
shown = "env again"
"#,
        );
        let blocks = run(&spec, &programs()).unwrap();
        assert_eq!(blocks["t"], "$ env\nfirst\nunset\n$ env again\n1\n");
    }

    #[test]
    fn selects_head_and_tail_lines() {
        assert_eq!(select_lines("1\n2\n3\n4\n", None, Some(2)), "3\n4\n");
        assert_eq!(select_lines("1\n2\n3\n4\n", Some(1), None), "1\n");
    }
}
