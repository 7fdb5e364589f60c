//! The building blocks of exercise checkers.
//!
//! A checker is black-box, in the way CodeCrafters' testers are: it starts
//! the student's program from a command line, talks to it over real sockets,
//! and compares what comes back with what should. It never looks at the
//! source, so a program in any language can be checked:
//!
//! ```text
//! cargo exercise check ch1-udp-echo --cmd "python3 my_echo.py --port {port}"
//! ```
//!
//! In a command line, `{port}` becomes `0` (the program must then let the
//! operating system choose a port and print `listening on ADDR` as its first
//! line, as every program in this book does) and `{path}` becomes a fresh
//! path for a Unix domain socket.
//!
//! A checker is a plain function that takes a [`Session`] and returns
//! `Err(Failure)` at the first expectation that does not hold. The failure
//! says what was expected and what came back, in plain words.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::ServerProcess;

pub mod bytes;
pub mod client;
pub mod wire;

pub use bytes::show_bytes;
pub use wire::Wire;

/// Makes `call` again for as long as a signal interrupts it (`EINTR`).
///
/// A blocking call that a signal handler interrupts fails with
/// `ErrorKind::Interrupted`; a socket read with a timeout is never restarted
/// by the kernel, whatever the handler asked for. A checker cannot know which
/// handlers its process has (a crate may install one for `SIGCHLD`, which
/// comes each time a child exits), so every read it waits on goes through
/// here. `std`'s `read_exact` and `read_to_end` do the same themselves; a
/// bare `read`, `peek` or `recv_from` does not.
pub fn again_if_interrupted<T>(mut call: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

/// How long a checker waits for any one answer. Long enough for a loaded
/// machine, short enough that a wrong program fails in seconds.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// The first expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What the checker was checking, e.g. "the server echoes one datagram".
    pub expectation: String,
    /// What should have happened.
    pub expected: String,
    /// What happened instead.
    pub got: String,
    /// Anything else worth knowing: what the program wrote to stderr, say.
    pub note: Option<String>,
}

impl Failure {
    /// A failed expectation: `expected` this, `got` that.
    pub fn new(
        expectation: impl Into<String>,
        expected: impl Into<String>,
        got: impl Into<String>,
    ) -> Self {
        Failure {
            expectation: expectation.into(),
            expected: expected.into(),
            got: got.into(),
            note: None,
        }
    }

    /// Adds what the program under test said on stderr, which usually tells
    /// why it failed. A `todo!()` still in place reads as "not done yet".
    pub fn with_program(mut self, server: &ServerProcess) -> Self {
        self.note = describe_stderr(&server.final_stderr());
        self
    }

    /// Adds a note of any kind.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.expectation)?;
        writeln!(f, "  expected: {}", self.expected)?;
        write!(f, "  got:      {}", self.got)?;
        if let Some(note) = &self.note {
            write!(f, "\n  note:     {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// Turns a program's stderr into one helpful line, or nothing: a `todo!()`
/// still in place, the program's own `error:` line, a panic's message, or
/// else its last line. Never a thread id or a backtrace, which differ from
/// run to run.
pub(crate) fn describe_stderr(stderr: &str) -> Option<String> {
    if let Some(pos) = stderr.find("not yet implemented") {
        let rest = stderr[pos..].lines().next().unwrap_or_default();
        return Some(format!(
            "not done yet: the program stopped at a todo!() ({rest})"
        ));
    }
    if let Some(line) = stderr.lines().find(|l| l.starts_with("error:")) {
        return Some(format!("the program's stderr says: {}", line.trim()));
    }
    if let Some(pos) = stderr.find("panicked at") {
        let message = stderr[pos..].lines().nth(1).unwrap_or_default();
        return Some(format!("the program panicked: {}", message.trim()));
    }
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty())?;
    Some(format!("the program's stderr ends with: {}", last.trim()))
}

/// The program under test: a command line with placeholders.
#[derive(Debug, Clone)]
pub struct Program {
    words: Vec<String>,
    dir: Option<PathBuf>,
    env: Vec<(String, String)>,
}

impl Program {
    /// A program from its words: `["target/debug/ch1-udp-echo", "--port", "{port}"]`.
    pub fn new(words: Vec<String>) -> Self {
        Program {
            words,
            dir: None,
            env: Vec::new(),
        }
    }

    /// Runs the program in `dir` instead of the current directory.
    pub fn in_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Runs the program with the environment variable `key` set to `value`.
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Does the command line use `placeholder` (`{path}`, `{port}`)?
    pub fn mentions(&self, placeholder: &str) -> bool {
        self.words.iter().any(|w| w.contains(placeholder))
    }

    /// The command line, placeholders and all, for messages.
    pub fn display(&self) -> String {
        self.words.join(" ")
    }

    /// The command that runs the program, with `{port}` set to `port` and
    /// `{path}` to `path` (when given), in its folder, with its
    /// environment; `None` for an empty command line.
    pub fn command(&self, port: &str, path: Option<&Path>) -> Option<Command> {
        let words: Vec<String> = self
            .words
            .iter()
            .map(|w| {
                let w = w.replace("{port}", port);
                match path {
                    Some(p) => w.replace("{path}", &p.to_string_lossy()),
                    None => w,
                }
            })
            .collect();
        let (program, args) = words.split_first()?;
        let mut command = Command::new(program);
        command.args(args);
        if let Some(dir) = &self.dir {
            command.current_dir(dir);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        Some(command)
    }

    /// Starts the program with `{port}` set to `0` and `{path}` set to
    /// `socket_path` (when given), and waits for its `listening on` line.
    pub fn start(&self, socket_path: Option<&Path>) -> Result<ServerProcess, Failure> {
        let Some(command) = self.command("0", socket_path) else {
            return Err(Failure::new(
                "starting the program",
                "a command line",
                "an empty one",
            ));
        };
        let expectation = "the program starts and prints `listening on ADDR` as its first line";
        let expected = "a first line `listening on ADDR`";
        ServerProcess::spawn(command).map_err(|err| {
            match err.downcast_ref::<crate::process::EndedBeforeListening>() {
                Some(ended) => {
                    let failure = Failure::new(
                        expectation,
                        expected,
                        format!("nothing: the program ended ({})", ended.ending()),
                    );
                    match describe_stderr(&ended.stderr) {
                        Some(note) => failure.with_note(note),
                        None => failure,
                    }
                }
                None => Failure::new(expectation, expected, format!("{err:#}")),
            }
        })
    }
}

/// One run of a checker against one program.
///
/// It keeps the list of expectations that held, so a student sees how far
/// the program got, not only where it stopped.
#[derive(Debug)]
pub struct Session {
    program: Program,
    passed: Vec<String>,
    scratch: tempfile::TempDir,
}

impl Session {
    /// A session that checks `program`.
    pub fn new(program: Program) -> std::io::Result<Self> {
        Ok(Session {
            program,
            passed: Vec::new(),
            scratch: tempfile::Builder::new().prefix("check-").tempdir()?,
        })
    }

    /// The program under test.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Fails at once, saying so, when the command line has no `{path}`:
    /// a checker that must hand the program a path (`what`: "the folder to
    /// serve", say) cannot, and every later answer would be a riddle.
    pub fn require_path(&self, what: &str, example: &str) -> Result<(), Failure> {
        if self.program.mentions("{path}") {
            return Ok(());
        }
        Err(Failure::new(
            format!("the program is given {what}"),
            format!("a command line with `{{path}}` in it, e.g. `{example}`"),
            format!(
                "`{}`: no `{{path}}`, so the program was given no {what}",
                self.program.display()
            ),
        ))
    }

    /// Starts the program (see [`Program::start`]).
    pub fn start(&self, socket_path: Option<&Path>) -> Result<ServerProcess, Failure> {
        self.program.start(socket_path)
    }

    /// A fresh path in a private scratch folder, removed after the session:
    /// for Unix domain sockets and files the program should create.
    pub fn scratch_path(&self, name: &str) -> PathBuf {
        self.scratch.path().join(name)
    }

    /// Records that an expectation held.
    pub fn pass(&mut self, expectation: impl Into<String>) {
        self.passed.push(expectation.into());
    }

    /// The expectations that held so far, in order.
    pub fn passed(&self) -> &[String] {
        &self.passed
    }
}

/// A checker: the exercise it judges and the function that judges.
#[derive(Clone, Copy)]
pub struct Checker {
    /// The exercise's name, as in the chapter's `exercises.toml`.
    pub name: &'static str,
    /// The checker itself.
    pub run: fn(&mut Session) -> Result<(), Failure>,
}

impl fmt::Debug for Checker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker").field("name", &self.name).finish()
    }
}

/// Runs the checker called `name` against the program `words`, as the
/// chapters' own tests do to prove a checker passes a solution and fails a
/// wrong program. Returns the expectations that held, and the failure if any.
///
/// # Panics
///
/// If no checker in `checkers` is called `name`: a test's mistake.
pub fn run_checker(
    checkers: &[Checker],
    name: &str,
    words: &[&str],
) -> (Vec<String>, Result<(), Failure>) {
    let checker = checkers
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no checker is called {name}"));
    let program = Program::new(words.iter().map(|w| w.to_string()).collect());
    let mut session = Session::new(program).expect("a scratch folder for the session");
    let result = (checker.run)(&mut session);
    (session.passed().to_vec(), result)
}

/// [`run_checker`] for a test that only needs the outcome: the
/// expectations that held if the checker passed the program, or its
/// failure, as the student would read it.
///
/// # Panics
///
/// If no checker in `checkers` is called `name`.
pub fn check_program(
    checkers: &[Checker],
    name: &str,
    words: &[&str],
) -> Result<Vec<String>, String> {
    let (passed, result) = run_checker(checkers, name, words);
    result
        .map(|()| passed)
        .map_err(|failure| failure.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_keeps_every_word_whole_and_fills_the_placeholders() {
        let program = Program::new(
            [
                "/a path/python3",
                "-c",
                "print(\"x\")\n\t'q'",
                "--port",
                "{port}",
                "{path}/f",
            ]
            .map(String::from)
            .to_vec(),
        )
        .in_dir("/tmp/a \"dir\"")
        .with_env("K", "v w");
        let command = program.command("4242", Some(Path::new("/r o"))).unwrap();
        assert_eq!(command.get_program(), "/a path/python3");
        let args: Vec<_> = command.get_args().collect();
        assert_eq!(
            args,
            ["-c", "print(\"x\")\n\t'q'", "--port", "4242", "/r o/f"]
        );
        assert_eq!(command.get_current_dir(), Some(Path::new("/tmp/a \"dir\"")));
        let env: Vec<_> = command.get_envs().collect();
        assert_eq!(env, [("K".as_ref(), Some("v w".as_ref()))]);
        assert!(Program::new(Vec::new()).command("0", None).is_none());
    }
}
