//! Running one transcript spec: its servers, its commands, and what they
//! printed, normalised, block by block.
//!
//! Servers start through [`book_support::process::ServerProcess`] with
//! stdout and stderr on one pipe ([`ServerProcess::spawn_merged`]), as a
//! terminal shows them; the commands of a run are short-lived programs fed
//! their stdin, read to their end (or to an `until` line) within a bound.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use book_support::process::ServerProcess;

use crate::normalise::{FIRST_PORT, Normaliser, ServerPort};
use crate::spec::{self, RunSpec, ServerSpec, Spec, Stop};

/// How long a command may run, unless its spec says otherwise.
const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// How long a server may take to print its `wait_for` line, to exit once
/// stopped, and to close its output then.
const SERVER_WAIT: Duration = Duration::from_secs(20);

/// Where the programs are and where the book is.
#[derive(Debug, Clone)]
pub struct Programs {
    /// The workspace root.
    pub root: PathBuf,
    /// The folder with the built binaries (`target/debug`).
    pub bin_dir: PathBuf,
    /// The binaries of the spec's packages, each with its package: a
    /// command naming one runs it from `bin_dir`, never from PATH.
    pub binaries: BTreeMap<String, String>,
}

impl Programs {
    /// The binaries of `packages`, built in `bin_dir`.
    pub fn new(root: &Path, bin_dir: &Path, packages: &[String]) -> Result<Self> {
        let mut binaries = BTreeMap::new();
        for package in packages {
            for bin in spec::binaries(root, package)? {
                binaries.insert(bin, package.clone());
            }
        }
        Ok(Self {
            root: root.to_path_buf(),
            bin_dir: bin_dir.to_path_buf(),
            binaries,
        })
    }

    /// The binaries that `specs` run and that are not in `bin_dir`, with
    /// their packages.
    pub fn missing<'a>(&self, specs: impl IntoIterator<Item = &'a Spec>) -> Vec<(String, String)> {
        let named: BTreeSet<&str> = specs.into_iter().flat_map(Spec::programs).collect();
        named
            .into_iter()
            .filter_map(|program| {
                let package = self.binaries.get(program)?;
                (!self.bin_dir.join(program).is_file())
                    .then(|| (program.to_owned(), package.clone()))
            })
            .collect()
    }

    /// What a command's first word runs: a binary of the packages, from
    /// `bin_dir`, or else a program from PATH.
    fn resolve(&self, program: &str) -> Result<PathBuf> {
        let Some(package) = self.binaries.get(program) else {
            return Ok(PathBuf::from(program));
        };
        let built = self.bin_dir.join(program);
        if !built.is_file() {
            bail!(
                "{program} (a binary of {package}) is not built in {}: \
                 `cargo build -p {package} --bins` builds it",
                self.bin_dir.display()
            );
        }
        Ok(built)
    }
}

/// What a run of one spec printed, block by block, normalised.
pub type Blocks = BTreeMap<String, String>;

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
        let running = start_server(server, &vars, programs, &dir_path)
            .with_context(|| format!("server {}", index + 1))?;
        vars.servers.push(running.address().to_owned());
        vars.pids.push(running.pid());
        servers.push(running);
    }
    let run_all = |after_stop: bool, raw: &mut Vec<(String, String)>| -> Result<()> {
        for run_spec in spec.runs.iter().filter(|r| r.after_stop == after_stop) {
            let text = run_command(run_spec, &vars, programs, &dir_path)?;
            if let Some(shown) = &run_spec.shown {
                raw.push((spec.run_block(run_spec), format!("$ {shown}\n{text}")));
            }
        }
        Ok(())
    };
    run_all(false, &mut raw)?;
    // Servers are shown before the commands that talked to them.
    let mut server_blocks = Vec::new();
    for (server, running) in spec.servers.iter().zip(servers) {
        let text = finish_server(running, server)?;
        if let Some(shown) = &server.shown {
            server_blocks.push((spec.server_block(server), format!("$ {shown}\n{text}")));
        }
    }
    run_all(true, &mut raw)?;
    server_blocks.extend(raw);

    let mut normaliser = Normaliser::for_run(
        &dir_path,
        &programs.root,
        &server_ports(spec, &vars),
        &spec.replace,
    )?;
    let mut blocks = Blocks::new();
    for (block, text) in server_blocks {
        let text = normaliser.apply(&text);
        blocks.entry(block).or_default().push_str(&text);
    }
    drop(dir);
    Ok(blocks)
}

/// Each server's port and the port the book shows for it: its `port`, or
/// 40000, 40100, ... by its place in the run.
fn server_ports(spec: &Spec, vars: &Vars) -> Vec<ServerPort> {
    vars.servers
        .iter()
        .zip(&spec.servers)
        .enumerate()
        .filter_map(|(index, (addr, server))| {
            let actual = addr.parse::<SocketAddr>().ok()?.port();
            let shown = server
                .port
                .unwrap_or(FIRST_PORT + u16::try_from(index).unwrap_or(0) * 100);
            Some(ServerPort { actual, shown })
        })
        .collect()
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

/// A `Command` for `words`: the first is a built binary if it names one.
fn command_for(
    words: &[String],
    vars: &Vars,
    programs: &Programs,
    dir: &Path,
    cwd: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<Command> {
    let (program, args) = words.split_first().context("an empty command")?;
    let mut command = Command::new(programs.resolve(program)?);
    command.args(args.iter().map(|arg| vars.expand(arg)));
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

/// Starts a server of the run and waits for its `listening on` line.
fn start_server(
    spec: &ServerSpec,
    vars: &Vars,
    programs: &Programs,
    dir: &Path,
) -> Result<ServerProcess> {
    let command = command_for(
        &spec.command,
        vars,
        programs,
        dir,
        spec.cwd.as_deref(),
        &spec.env,
    )?;
    ServerProcess::spawn_merged(command)
}

/// Waits for the server's `wait_for` line, stops it as its spec says, and
/// returns all it printed (with its `exit_line`, once it exited).
fn finish_server(server: ServerProcess, spec: &ServerSpec) -> Result<String> {
    let mut text = format!("{}\n", server.listening_line());
    let mut show = |lines: Vec<String>| {
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
    };
    if let Some(wanted) = &spec.wait_for {
        show(server.read_until(wanted, SERVER_WAIT)?);
    }
    let signal = match spec.stop {
        Stop::Kill => Some(libc::SIGKILL),
        Stop::Interrupt => Some(libc::SIGINT),
        Stop::Terminate => Some(libc::SIGTERM),
        Stop::Exit => None,
    };
    if let Some(signal) = signal {
        // What a server prints when it stops may count what it still runs
        // (a handler thread ending after its client left): let it finish
        // what it was doing first, as a person pressing Ctrl-C would.
        if signal != libc::SIGKILL {
            book_support::observe::comes_to_rest(server.pid(), SERVER_WAIT);
        }
        server.signal(signal)?;
    }
    let status = server
        .wait_for_exit(SERVER_WAIT)
        .ok_or_else(|| anyhow!("did not exit within {} s", SERVER_WAIT.as_secs()))?;
    // The rest of its output, now that it has exited.
    show(server.read_to_end(SERVER_WAIT)?);
    if let Some(exit_line) = &spec.exit_line {
        let _ = writeln!(text, "{}", exit_line.replace("{code}", &code(status)));
    }
    Ok(text)
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
    book_support::process::default_signals(&mut command);
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
/// it is exiting); kills it if it does not.
fn wait_within(child: &mut Child, timeout: Duration) -> Result<ExitStatus> {
    if let Some(status) = book_support::observe::wait_for_child(child, timeout) {
        return Ok(status);
    }
    let _ = child.kill();
    let _ = child.wait();
    bail!("did not exit within {} s", timeout.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programs() -> Programs {
        Programs {
            root: crate::workspace_root().to_path_buf(),
            bin_dir: PathBuf::from("/nonexistent"),
            binaries: BTreeMap::new(),
        }
    }

    fn spec(text: &str) -> Spec {
        let file: spec::SpecFile = toml::from_str(text).unwrap();
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
    fn a_server_shows_stdout_and_stderr_in_order_until_its_line_then_what_it_prints_on_sigint() {
        let spec = spec(
            r#"
[[transcript]]
id = "t"
[[transcript.server]]
command = ["sh", "-c", "trap 'echo bye >&2; exit 0' INT; echo listening on 127.0.0.1:51234; echo to stderr >&2; echo done; while :; do sleep 0.05; done"]
shown = "server"
wait_for = "done"
stop = "interrupt"
exit_line = "[exit {code}]"
"#,
        );
        let blocks = run(&spec, &programs()).unwrap();
        assert_eq!(
            blocks["t-server"],
            "$ server\nlistening on 127.0.0.1:40000\nto stderr\ndone\nbye\n[exit 0]\n"
        );
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
    fn a_binary_of_the_packages_that_is_not_built_is_named_with_its_package() {
        let spec = spec(
            "[[transcript]]\nid = \"t\"\n[[transcript.run]]\ncommand = [\"upper-client\"]\nshown = \"c\"\n",
        );
        let programs = Programs::new(
            crate::workspace_root(),
            Path::new("/nonexistent"),
            &["ch5-socketserver".to_owned()],
        )
        .unwrap();
        assert_eq!(
            programs.missing([&spec]),
            [("upper-client".to_owned(), "ch5-socketserver".to_owned())]
        );
        let err = format!("{:#}", run(&spec, &programs).unwrap_err());
        assert!(
            err.contains("upper-client (a binary of ch5-socketserver) is not built"),
            "{err}"
        );
        assert!(
            err.contains("cargo build -p ch5-socketserver --bins"),
            "{err}"
        );
    }

    #[test]
    fn selects_head_and_tail_lines() {
        assert_eq!(select_lines("1\n2\n3\n4\n", None, Some(2)), "3\n4\n");
        assert_eq!(select_lines("1\n2\n3\n4\n", Some(1), None), "1\n");
    }
}
