//! `cargo exercise grade DIR`: a teacher grades a class.
//!
//! `DIR` holds a folder per student (see [`submission`] for what one
//! holds). Each submission is copied into a temporary folder of its own;
//! a Rust one is built there once. Then each exercise is judged by the
//! checker itself, run as a child process with limits (see [`limits`]):
//!
//! ```text
//! exercise check NAME --cmd "COMMAND LINE" --format json
//! ```
//!
//! in the copy's folder, where COMMAND LINE is the student's command from
//! `commands.toml`, or the built Rust program with the exercise's
//! arguments. Its verdict, read from the JSON, is the table's cell. A
//! submission that hangs, forks, floods its output or does not build gets
//! its verdict like the others, and the run goes on.
//!
//! Submissions are graded in parallel, as many at a time as the machine
//! has cores; the Rust ones are built one after the other by a thread of
//! their own (cargo would make them wait for each other anyway: they share
//! the book's build folder), while the built ones are judged.
//!
//! The table ([`table::Grades`]) is written as `grades.csv` and
//! `grades.json`, and summed up on the terminal.

use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::catalog::{self, Exercise};
use crate::student::StudentCrate;

pub mod limits;
pub mod submission;
pub mod table;

use limits::{Ended, Limits, Outcome};
use submission::Kind;
use table::{Cell, CheckResults, Grades, Row, Status};

/// The name of the CSV table, in the output folder.
pub const CSV_FILE: &str = "grades.csv";

/// The name of the JSON table, in the output folder.
pub const JSON_FILE: &str = "grades.json";

/// How long a submission's build may take.
const BUILD_TIME: Duration = Duration::from_secs(600);

/// The time limit of each exercise, in seconds, by default.
pub const TIME_LIMIT: u64 = 60;

/// The memory (address space) of each process, in MiB, by default.
pub const MEMORY_MIB: u64 = 2048;

/// The processes a submission may run at once, by default.
pub const PROCESSES: usize = 100;

/// What the teacher asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The class's folder: a folder per student.
    pub submissions: PathBuf,
    /// Where `grades.csv` and `grades.json` go.
    pub out: PathBuf,
    /// The exercises to grade, by name; every exercise when empty.
    pub exercises: Vec<String>,
    /// The time limit of each exercise.
    pub time_limit: Duration,
    /// The memory (address space) of each process, in MiB.
    pub memory_mib: u64,
    /// The processes a submission may have running at once, the checker
    /// that judges it included.
    pub processes: usize,
    /// The submissions graded at once.
    pub jobs: usize,
}

impl Options {
    /// The options with the defaults: a minute per exercise, 2 GiB per
    /// process, 100 processes, as many submissions at once as cores.
    pub fn new(submissions: PathBuf, out: PathBuf) -> Self {
        Options {
            submissions,
            out,
            exercises: Vec::new(),
            time_limit: Duration::from_secs(TIME_LIMIT),
            memory_mib: MEMORY_MIB,
            processes: PROCESSES,
            jobs: default_jobs(),
        }
    }
}

/// As many jobs as the machine has cores.
pub fn default_jobs() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}

/// A submission copied and, for Rust, built: ready to be judged.
struct Ready {
    student: String,
    kind: Kind,
    notes: Vec<String>,
    /// The copy's folder (in the run's temporary folder).
    copy: PathBuf,
    /// For Rust: the crate, and whether it built (else the first error).
    built: Option<(StudentCrate, Result<(), String>)>,
}

/// A submission as the grader's threads pass it on.
enum Work {
    /// Nothing to judge: the row is already known.
    Done(Row),
    /// Judge it.
    Judge(Box<Ready>),
}

/// `cargo exercise grade`: grades the class, saying on stderr as each
/// student is done, then prints the short table and where the full one is.
pub fn run(root: &Path, all: &[Exercise], options: &Options) -> Result<()> {
    let grades = grade(root, all, options, |row| {
        eprintln!(
            "graded {}: {} of {} pass",
            row.student, row.passed, row.total
        );
    })?;
    print!("{}", grades.summary());
    println!(
        "\nthe table: {} and {}",
        options.out.join(CSV_FILE).display(),
        options.out.join(JSON_FILE).display()
    );
    Ok(())
}

/// Grades the class in `options.submissions`, calling `on_row` with each
/// student's row as soon as it is ready, and writes the table into
/// `options.out`. Returns the table.
pub fn grade(
    root: &Path,
    all: &[Exercise],
    options: &Options,
    on_row: impl Fn(&Row) + Sync,
) -> Result<Grades> {
    let chosen: Vec<Exercise> = if options.exercises.is_empty() {
        all.to_vec()
    } else {
        let mut chosen = Vec::new();
        for name in &options.exercises {
            chosen.push(catalog::find(all, name)?.clone());
        }
        // The book's order, whatever the order asked in.
        chosen.sort_by_key(|e| all.iter().position(|a| a.name == e.name));
        chosen.dedup_by(|a, b| a.name == b.name);
        chosen
    };
    let students = submission::students(&options.submissions)?;
    if students.is_empty() {
        bail!(
            "{} holds no folder: it should hold one folder per student",
            options.submissions.display()
        );
    }
    fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create {}", options.out.display()))?;
    limits::prepare();

    let scratch = tempfile::Builder::new()
        .prefix("grade-")
        .tempdir()
        .context("cannot make a temporary folder")?;
    let jobs = options.jobs.max(1);
    let exercise_limits = exercise_limits(options, jobs);
    let checker = std::env::current_exe().context("cannot find the checker's own program")?;

    let (to_judge, judged_from) = mpsc::sync_channel::<Work>(jobs);
    let judged_from = Arc::new(Mutex::new(judged_from));
    let rows = Mutex::new(Vec::new());
    thread::scope(|scope| {
        // The builder: copies each submission, builds the Rust ones.
        let chosen = &chosen;
        let scratch = scratch.path();
        scope.spawn(move || {
            for (index, (student, folder)) in students.iter().enumerate() {
                if limits::interrupted() {
                    break;
                }
                let work = prepare(root, all, chosen, student, folder, scratch, index);
                if to_judge.send(work).is_err() {
                    break;
                }
            }
        });
        // The judges: as many as jobs.
        for _ in 0..jobs {
            let judged_from = Arc::clone(&judged_from);
            let (rows, on_row, checker, exercise_limits) =
                (&rows, &on_row, &checker, &exercise_limits);
            scope.spawn(move || {
                loop {
                    let work = judged_from.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(work) = work else { break };
                    let row = match work {
                        Work::Done(row) => row,
                        Work::Judge(ready) => judge(&ready, chosen, checker, exercise_limits),
                    };
                    on_row(&row);
                    rows.lock().unwrap_or_else(|e| e.into_inner()).push(row);
                }
            });
        }
    });
    limits::sweep();
    if limits::interrupted() {
        bail!("interrupted: no table written");
    }

    let mut students = rows.into_inner().unwrap_or_else(|e| e.into_inner());
    students.sort_by(|a, b| a.student.cmp(&b.student));
    let grades = Grades {
        version: table::GRADES_VERSION,
        exercises: chosen.iter().map(|e| e.name.clone()).collect(),
        students,
    };
    let csv_path = options.out.join(CSV_FILE);
    let file = fs::File::create(&csv_path)
        .with_context(|| format!("cannot write {}", csv_path.display()))?;
    grades.write_csv(file)?;
    let json_path = options.out.join(JSON_FILE);
    fs::write(&json_path, grades.to_json())
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    Ok(grades)
}

/// The limits of each exercise's check.
fn exercise_limits(options: &Options, jobs: usize) -> Limits {
    // RLIMIT_NPROC counts every process and thread of the user: what runs
    // now, plus room for every submission at once, threads included.
    let room = jobs as u64 * (4 * options.processes as u64 + 64) + 1024;
    Limits {
        time: options.time_limit,
        processes: options.processes,
        output: 1024 * 1024,
        memory: Some(options.memory_mib * 1024 * 1024),
        file_size: Some(256 * 1024 * 1024),
        user_tasks: Some(limits::tasks_of_user(limits::uid()) + room),
        cpu: true,
    }
}

/// Reads, copies and (for Rust) builds one submission.
fn prepare(
    root: &Path,
    all: &[Exercise],
    chosen: &[Exercise],
    student: &str,
    folder: &Path,
    scratch: &Path,
    index: usize,
) -> Work {
    let nothing = |why: String| {
        let cells = chosen
            .iter()
            .map(|e| Cell::without_verdict(&e.name, Status::Missing, None))
            .collect();
        Work::Done(Row::new(student, "none", vec![why], cells))
    };
    let (kind, notes) = match submission::inspect(folder, all) {
        Ok(found) => found,
        Err(err) => return nothing(format!("{err:#}")),
    };
    // A name unique to this run, so that two runs at once, or two students
    // whose names differ only in case, never share a program.
    let copy = scratch.join(format!("{student}-{}-{index}", std::process::id()));
    if let Err(err) = submission::copy(folder, &kind, &copy) {
        return nothing(format!("{err:#}"));
    }
    let built = match &kind {
        Kind::Commands(_) => None,
        Kind::Rust(programs) => {
            let krate = StudentCrate::elsewhere(root, &copy);
            let wanted: Vec<String> = programs
                .iter()
                .filter(|p| chosen.iter().any(|e| &e.name == *p))
                .cloned()
                .collect();
            let result = if wanted.is_empty() {
                Ok(())
            } else {
                let build_limits = Limits {
                    time: BUILD_TIME,
                    processes: 8 * default_jobs() + 64,
                    output: 256 * 1024,
                    memory: None,
                    file_size: None,
                    user_tasks: None,
                    cpu: false,
                };
                submission::build(root, all, &krate, &wanted, &build_limits)
            };
            Some((krate, result))
        }
    };
    Work::Judge(Box::new(Ready {
        student: student.to_string(),
        kind,
        notes,
        copy,
        built,
    }))
}

/// Judges every chosen exercise of a ready submission, then deletes its
/// copy and its programs.
fn judge(ready: &Ready, chosen: &[Exercise], checker: &Path, limits: &Limits) -> Row {
    let mut cells = Vec::new();
    for exercise in chosen {
        let name = exercise.name.as_str();
        let cell = if !ready.kind.has(name) {
            Cell::without_verdict(name, Status::Missing, None)
        } else if limits::interrupted() {
            Cell::without_verdict(name, Status::Error, Some("interrupted".into()))
        } else {
            match command_line(ready, exercise) {
                Ok(line) => check(checker, name, &line, &ready.copy, limits),
                Err(why) => Cell::without_verdict(name, Status::Error, Some(why)),
            }
        };
        cells.push(cell);
    }
    if let (Kind::Rust(programs), Some((krate, _))) = (&ready.kind, &ready.built) {
        submission::forget_programs(krate, programs);
    }
    let _ = fs::remove_dir_all(&ready.copy);
    Row::new(
        &ready.student,
        ready.kind.word(),
        ready.notes.clone(),
        cells,
    )
}

/// The command line the checker judges for `exercise`, or why there is
/// none (the build failed).
fn command_line(ready: &Ready, exercise: &Exercise) -> Result<String, String> {
    match (&ready.kind, &ready.built) {
        (Kind::Commands(commands), _) => Ok(commands[&exercise.name].clone()),
        (Kind::Rust(_), Some((_, Err(error)))) => Err(format!("does not build: {error}")),
        (Kind::Rust(_), Some((krate, Ok(())))) => {
            let program = krate.program(&exercise.name).to_string_lossy().into_owned();
            let mut words = vec![program];
            words.extend(exercise.args.iter().cloned());
            shlex::try_join(words.iter().map(String::as_str))
                .map_err(|err| format!("cannot quote the program's command line: {err}"))
        }
        (Kind::Rust(_), None) => Err("not built".into()),
    }
}

/// Runs the checker on one command line, with the limits, and reads its
/// verdict.
fn check(checker: &Path, name: &str, line: &str, dir: &Path, limits: &Limits) -> Cell {
    let mut command = Command::new(checker);
    command
        .args(["check", name, "--cmd", line, "--format", "json"])
        .env_remove("RUST_BACKTRACE")
        .current_dir(dir);
    let outcome = match limits::run(command, limits) {
        Ok(outcome) => outcome,
        Err(err) => {
            return Cell::without_verdict(
                name,
                Status::Error,
                Some(format!("cannot start the checker: {err}")),
            );
        }
    };
    match &outcome.ended {
        Ended::Exited(status) => match serde_json::from_slice::<CheckResults>(&outcome.stdout) {
            Ok(results) => Cell::from_check(name, &results),
            Err(_) => Cell::without_verdict(
                name,
                Status::Error,
                Some(no_report(*status, &outcome, limits)),
            ),
        },
        Ended::TimeLimit => Cell::without_verdict(
            name,
            Status::Error,
            Some(format!(
                "no verdict within the time limit ({} s): the program hangs, or is too slow",
                limits.time.as_secs()
            )),
        ),
        Ended::TooManyProcesses(_) => Cell::without_verdict(
            name,
            Status::Error,
            Some(format!(
                "more than {} processes at once: all of them were stopped",
                limits.processes
            )),
        ),
        Ended::Interrupted => {
            Cell::without_verdict(name, Status::Error, Some("interrupted".into()))
        }
    }
}

/// Why the checker gave no readable verdict.
fn no_report(status: ExitStatus, outcome: &Outcome, limits: &Limits) -> String {
    let tail = outcome.stderr_tail(3);
    let out_of_memory = String::from_utf8_lossy(&outcome.stderr).contains("memory allocation");
    let cause = match status.signal() {
        Some(libc::SIGABRT) | None if out_of_memory => format!(
            "the checker ran out of memory (the limit is {} MiB a process): \
             does the program flood its output?",
            limits.memory.unwrap_or(0) / 1024 / 1024
        ),
        Some(libc::SIGXCPU) => "the checker used up its CPU time".to_string(),
        Some(signal) => format!("the checker was stopped by signal {signal}"),
        None if outcome.truncated => "the checker's report was too long".to_string(),
        None => format!("the checker wrote no verdict ({status})"),
    };
    if tail.is_empty() || cause.contains("memory") {
        cause
    } else {
        format!("{cause}; its stderr ends with: {tail}")
    }
}
