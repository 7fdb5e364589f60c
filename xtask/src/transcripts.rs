//! `cargo xtask transcripts [--check] [chN ...]`: the console output the
//! book shows, made by the programs.
//!
//! The specs (`book/chN/transcripts.toml`), their runner, the normaliser
//! and the compare-and-bless are the `book-transcript` crate's; each
//! chapter's `tests/transcripts.rs` runs its own spec as a test. This
//! command builds the chapters' programs into the workspace's usual target
//! folder (the one `cargo test` builds into, so nothing is built twice),
//! then runs every spec and rewrites the blocks, or with `--check` only
//! compares them.
//!
//! `cargo xtask` runs through `cargo run`, which releases the target
//! folder's build lock before it starts the program: the `cargo build`
//! below does not wait for its own caller.

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};
use book_transcript::{Chapter, Snapshots};
use cargo_metadata::Message;

/// Builds the binaries of `packages` with cargo, as `cargo build` does by
/// hand (same target folder, same profile), and returns the folder that
/// holds them, as cargo reports it.
pub fn build_programs(root: &Path, packages: &[String]) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped());
    for package in packages {
        command.args(["-p", package]);
    }
    let mut child = command.spawn().context("cannot run cargo build")?;
    let stdout = child.stdout.take().context("stdout is piped")?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for message in Message::parse_stream(BufReader::new(stdout)) {
        let message = message.context("cannot read cargo's output")?;
        let Message::CompilerArtifact(artifact) = message else {
            continue;
        };
        if let Some(dir) = artifact.executable.as_ref().and_then(|exe| exe.parent()) {
            let dir = PathBuf::from(dir.as_std_path());
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    let status = child.wait().context("cannot wait for cargo build")?;
    ensure!(status.success(), "cargo build of {packages:?} failed");
    match dirs.as_slice() {
        [dir] => Ok(dir.clone()),
        [] => bail!("cargo build of {packages:?} built no binaries"),
        _ => bail!("cargo built the binaries of {packages:?} into several folders: {dirs:?}"),
    }
}

/// The chapters named (`ch1`, ...), or every chapter with a spec.
pub fn select(root: &Path, names: &[String]) -> Result<Vec<Chapter>> {
    let all = book_transcript::chapters(root)?;
    if let Some(unknown) = names
        .iter()
        .find(|name| !all.iter().any(|c| &c.name == *name))
    {
        let known: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        bail!("no book/{unknown}/transcripts.toml; the chapters with transcripts: {known:?}");
    }
    Ok(all
        .into_iter()
        .filter(|chapter| names.is_empty() || names.contains(&chapter.name))
        .collect())
}

/// Builds the programs, runs the chapters' specs, and rewrites their blocks
/// (removing stale ones), or with `check` compares them and fails with a
/// diff where one differs.
pub fn run(root: &Path, names: &[String], check: bool) -> Result<()> {
    let chapters = select(root, names)?;
    let bin_dir = build_programs(root, &book_transcript::spec::packages(&chapters))?;
    let snapshots = if check {
        Snapshots::verify(root)
    } else {
        Snapshots::overwrite(root)
    };
    let mut problems = Vec::new();
    for chapter in &chapters {
        let report = book_transcript::settle(root, chapter, &bin_dir, &snapshots)?;
        for file in &report.changed {
            let verb = if file.exists() { "wrote" } else { "removed" };
            println!("{verb} {}", snapshots.shown(file));
        }
        println!(
            "{}: {} block(s) {}{}",
            chapter.name,
            report.blocks,
            if check { "compared" } else { "made" },
            if report.skipped.is_empty() {
                String::new()
            } else {
                format!(", skipped {}", report.skipped.join("; "))
            }
        );
        problems.extend(report.problems);
    }
    if !problems.is_empty() {
        eprintln!("{}", problems.join("\n\n"));
        bail!(
            "{} problem(s) with the transcripts, listed above",
            problems.len()
        );
    }
    if check {
        println!("every transcript matches what the programs print");
    }
    Ok(())
}
