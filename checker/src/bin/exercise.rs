//! `cargo exercise`: the exercises' command.
//!
//! ```text
//! cargo exercise                      every exercise, its state for you, and the next
//! cargo exercise list                 the same
//! cargo exercise watch [NAME]         check one exercise each time you save it
//! cargo exercise solution NAME        the book's solution, once yours passes
//! cargo exercise init                 make my-exercises/ with every starter
//! cargo exercise check [NAME]         build your programs and judge them
//! cargo exercise check NAME --cmd "python3 my_echo.py --port {port}"
//! cargo exercise check --format json|junit    verdicts for a machine; exit code
//!                                     0 all pass, 1 a failure, 2 a usage or build error
//! cargo exercise hint NAME            a hint
//! cargo exercise sync [--check]       (authors) make the starters from the solutions
//! cargo exercise verify [--bless]     (CI) every checker passes its solution and fails its
//!                                     starter, and the book shows what it prints
//! ```
//!
//! `verify` also renders every `cargo exercise check` run the book shows
//! (the untouched starter's verdict of every exercise, and the runs its
//! chapter's `exercises.toml` lists under `[[exercise.shown]]`) and compares
//! them with the committed `book/chN/transcripts/exercise-*.txt`; `--bless`
//! rewrites those files instead (see `checker::transcript`).

use std::process::ExitCode;

use anyhow::{Result, bail};
use checker::catalog::{self, Exercise};
use checker::checking::{self, CheckError, ERROR_EXIT, Judged};
use checker::report::Format;
use checker::student::StudentCrate;
use checker::verdict::Verdict;
use checker::{checkers, progress, proof, root, transcript};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "cargo exercise",
    about = "Do the book's exercises and get a verdict."
)]
struct Cli {
    /// Your exercises' folder (a teacher's copy of a student's, say);
    /// `my-exercises/` at the top of the book when left out.
    #[arg(long, global = true, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
    /// What to do; with none, the exercises and where you are.
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the exercises, each with its state for you (done, not yet, not
    /// started), and the one to do next (also what `cargo exercise` alone does).
    List,
    /// Check one exercise each time you save its file (the next one when
    /// left out), until Ctrl-C.
    Watch {
        /// The exercise.
        name: Option<String>,
    },
    /// Show the book's solution of an exercise, once your program passes.
    Solution {
        /// The exercise.
        name: String,
    },
    /// Make my-exercises/, with a starter for every exercise you do not have yet.
    Init,
    /// Build your programs and judge them: one exercise, or all of them.
    Check {
        /// The exercise to check; all of them when left out.
        name: Option<String>,
        /// Judge this command line instead of your program in my-exercises/.
        /// `{port}` becomes 0 and `{path}` a fresh socket path.
        #[arg(long, requires = "name", conflicts_with = "solution")]
        cmd: Option<String>,
        /// Judge the book's reference solution (for teachers).
        #[arg(long)]
        solution: bool,
        /// How to write the verdicts: for a person, or JSON or JUnit XML
        /// for a machine. Exit code: 0 all pass, 1 a failure, 2 a usage or
        /// build error.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show the hint of an exercise.
    Hint {
        /// The exercise.
        name: String,
    },
    /// Make the committed starters from the solutions (for the book's authors).
    Sync {
        /// Change nothing; fail if a starter differs from its solution.
        #[arg(long)]
        check: bool,
    },
    /// Prove every checker: it passes the solution and fails the starter;
    /// and check that the book shows what the checker prints.
    Verify {
        /// Rewrite the book's transcripts of the checker
        /// (`book/chN/transcripts/exercise-*.txt`) instead of comparing them.
        #[arg(long)]
        bless: bool,
    },
    /// Grade a class (for teachers): DIR holds a folder per student, with
    /// their my-exercises/ or a commands.toml; writes grades.csv and grades.json.
    Grade {
        /// The class's folder: one folder per student.
        #[arg(value_name = "DIR")]
        submissions: std::path::PathBuf,
        /// Where to write grades.csv and grades.json; DIR when left out.
        #[arg(long, value_name = "FOLDER")]
        out: Option<std::path::PathBuf>,
        /// Grade only this exercise (again for more); all of them when left out.
        #[arg(long = "exercise", value_name = "NAME")]
        only: Vec<String>,
        /// Seconds each exercise of a submission may take.
        #[arg(long, value_name = "SECONDS", default_value_t = checker::grade::TIME_LIMIT)]
        time_limit: u64,
        /// Memory (address space) of each process, in MiB.
        #[arg(long, value_name = "MIB", default_value_t = checker::grade::MEMORY_MIB)]
        memory_limit: u64,
        /// Processes a submission may have running at once.
        #[arg(long, value_name = "N", default_value_t = checker::grade::PROCESSES)]
        max_processes: usize,
        /// Submissions graded at once; as many as the machine has cores when left out.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command.unwrap_or(Cmd::List), cli.dir.as_deref()) {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.is::<CheckError>() {
                ExitCode::from(ERROR_EXIT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs one command; `Ok(true)` means it ran and its answer is "fail".
fn dispatch(command: Cmd, dir: Option<&std::path::Path>) -> Result<bool> {
    let root = root();
    let mine = match dir {
        Some(dir) => StudentCrate::elsewhere(&root, &std::path::absolute(dir)?),
        None => StudentCrate::mine(&root),
    };
    let exercises = catalog::load(&root)?;
    match command {
        Cmd::List => {
            print!("{}", progress::overview(&mine, &exercises)?);
            Ok(false)
        }
        Cmd::Watch { name } => {
            let states = progress::states(&mine, &exercises)?;
            let exercise = match &name {
                Some(name) => catalog::find(&exercises, name)?,
                None => progress::next(&states).unwrap_or(&exercises[0]),
            };
            checker::watch::watch(&root, &exercises, &mine, exercise, &mut std::io::stdout())?;
            Ok(false)
        }
        Cmd::Solution { name } => {
            let exercise = catalog::find(&exercises, &name)?;
            let solution = progress::solution(&mine, exercise)?;
            println!(
                "// The book's solution of {}: {}\n{solution}",
                exercise.name,
                relative(&root, &exercise.solution_path())
            );
            Ok(false)
        }
        Cmd::Init => {
            let written = init(&root, &exercises, &mine)?;
            let folder = relative(&root, &mine.dir);
            if written == 0 {
                println!(
                    "nothing to do: {folder}/ already has a program for each of the {} exercises \
                     (init never overwrites your work)",
                    exercises.len()
                );
            } else {
                println!(
                    "{written} new starters in {folder}/src/bin/; \
                     next: `cargo exercise check {}`",
                    exercises[0].name
                );
            }
            Ok(false)
        }
        Cmd::Hint { name } => {
            let exercise = catalog::find(&exercises, &name)?;
            println!(
                "{}: {}\n\n{}",
                exercise.name,
                exercise.title,
                exercise.hint.trim()
            );
            Ok(false)
        }
        Cmd::Check {
            name,
            cmd,
            solution,
            format,
        } => {
            let judged = match cmd {
                Some(cmd) => Judged::Cmd(cmd),
                None if solution => Judged::Solution,
                None => Judged::Mine,
            };
            let out = &mut std::io::stdout().lock();
            checking::check(
                &root,
                &exercises,
                &mine,
                name.as_deref(),
                judged,
                format,
                out,
            )
        }
        Cmd::Sync { check: true } => {
            let drifted = proof::drifted_starters(&root, &exercises)?;
            if !drifted.is_empty() {
                bail!(
                    "these files differ from what the solutions make (run `cargo exercise sync`): {}",
                    drifted.join(", ")
                );
            }
            println!("every starter matches its solution");
            Ok(false)
        }
        Cmd::Sync { check: false } => {
            for path in proof::sync_starters(&root, &exercises)? {
                println!("wrote {path}");
            }
            Ok(false)
        }
        Cmd::Grade {
            submissions,
            out,
            only,
            time_limit,
            memory_limit,
            max_processes,
            jobs,
        } => {
            let out = out.unwrap_or_else(|| submissions.clone());
            let options = checker::grade::Options {
                exercises: only,
                time_limit: std::time::Duration::from_secs(time_limit),
                memory_mib: memory_limit,
                processes: max_processes,
                jobs: jobs.unwrap_or_else(checker::grade::default_jobs),
                ..checker::grade::Options::new(submissions, out)
            };
            checker::grade::run(&root, &exercises, &options)?;
            Ok(false)
        }
        Cmd::Verify { bless } => {
            let checkers = checkers();
            let programs = proof::build_proof(&root)?;
            let proofs = proof::prove(&root, &exercises, &checkers, &programs)?;
            for p in &proofs {
                let word = if p.holds() { "ok  " } else { "FAIL" };
                println!(
                    "{word} {}: solution {}, starter {}",
                    p.on_solution.name,
                    pass_word(&p.on_solution),
                    pass_word(&p.on_starter)
                );
            }
            let blocks = transcript::blocks(&root, &exercises, &proofs, &checkers)?;
            if bless {
                for path in transcript::bless(&root, &exercises, &blocks)? {
                    println!("wrote {}", relative(&root, &path));
                }
            }
            proof::require_all_hold(&proofs)?;
            if !bless {
                let problems = transcript::mismatches(&root, &exercises, &blocks)?;
                if !problems.is_empty() {
                    bail!(
                        "the book does not show what the checker prints \
                         (`cargo exercise verify --bless` rewrites it):\n{}",
                        problems.join("\n")
                    );
                }
                println!(
                    "the book's {} transcripts of the checker match",
                    blocks.len()
                );
            }
            Ok(false)
        }
    }
}

/// Makes the student's crate, with a starter for every exercise it lacks.
/// Returns how many starters it wrote.
fn init(root: &std::path::Path, exercises: &[Exercise], mine: &StudentCrate) -> Result<usize> {
    let written = mine.init(root, exercises)?;
    for name in &written {
        println!(
            "new starter: {}",
            relative(root, &mine.program_source(name))
        );
    }
    Ok(written.len())
}

fn pass_word(verdict: &Verdict) -> &'static str {
    if verdict.is_pass() { "passes" } else { "fails" }
}

fn relative(root: &std::path::Path, path: &std::path::Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
