//! `cargo exercise`: the exercises' command.
//!
//! ```text
//! cargo exercise list                 the exercises, and whether yours pass
//! cargo exercise init                 make my-exercises/ with every starter
//! cargo exercise check [NAME]         build your programs and judge them
//! cargo exercise check NAME --cmd "python3 my_echo.py --port {port}"
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
use book_support::check::Program;
use checker::catalog::{self, Exercise};
use checker::student::StudentCrate;
use checker::verdict::{Verdict, judge, program_for, program_from_cmd, write_check};
use checker::{checkers, proof, root, transcript};
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
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// List the exercises.
    List,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut failed = false;
    let code = book_support::cli::run(|| {
        failed = dispatch(cli.command, cli.dir.as_deref())?;
        Ok(())
    });
    if failed { ExitCode::FAILURE } else { code }
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
            list(&exercises);
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
        } => check(&root, &exercises, &mine, name, cmd, solution),
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

fn list(exercises: &[Exercise]) {
    let mut chapter = String::new();
    for exercise in exercises {
        if exercise.chapter() != chapter {
            chapter = exercise.chapter();
            println!("{chapter}");
        }
        println!("  {:<20} {}", exercise.name, exercise.title);
    }
    println!("\n`cargo exercise check` judges them all; `cargo exercise check NAME` one.");
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

fn check(
    root: &std::path::Path,
    exercises: &[Exercise],
    mine: &StudentCrate,
    name: Option<String>,
    cmd: Option<String>,
    solution: bool,
) -> Result<bool> {
    let chosen: Vec<&Exercise> = match &name {
        Some(name) => vec![catalog::find(exercises, name)?],
        None => exercises.iter().collect(),
    };
    let checkers = checkers();

    let programs: Vec<Program> = if let Some(cmd) = cmd {
        vec![program_from_cmd(&cmd)?]
    } else if solution {
        let names: Vec<&str> = chosen.iter().map(|e| e.name.as_str()).collect();
        build_solutions(root, &names)?;
        let bin_dir = root.join("target").join("debug");
        chosen
            .iter()
            .map(|e| program_for(&bin_dir.join(&e.name), e))
            .collect()
    } else {
        init(root, exercises, mine)?;
        let names: Vec<&str> = chosen.iter().map(|e| e.name.as_str()).collect();
        mine.build(&names, true)?;
        chosen
            .iter()
            .map(|e| program_for(&mine.program(&e.name), e))
            .collect()
    };

    // Each verdict is printed as soon as it is ready.
    let verdicts = chosen
        .iter()
        .zip(programs)
        .map(|(exercise, program)| judge(exercise, &checkers, program));
    let (passes, total) = write_check(&mut std::io::stdout().lock(), verdicts)?;
    Ok(passes < total)
}

/// Builds the reference solutions with the book's own workspace.
fn build_solutions(root: &std::path::Path, names: &[&str]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command.args(["build", "--quiet", "--workspace", "--manifest-path"]);
    command.arg(root.join("Cargo.toml"));
    for name in names {
        command.args(["--bin", name]);
    }
    if !command.status()?.success() {
        bail!("the reference solutions did not build");
    }
    Ok(())
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
