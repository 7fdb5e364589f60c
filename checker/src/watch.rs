//! `cargo exercise watch [NAME]`: check one exercise each time its file is
//! saved, until Ctrl-C.
//!
//! It watches the folder of the program file (an editor often saves by
//! writing a new file and renaming it over the old one), waits until the
//! burst of events of one save has settled ([`SETTLE`]), and checks again
//! when what the file says has changed since the last check.

use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher};

use crate::catalog::Exercise;
use crate::checking::{Judged, check, relative};
use crate::progress::{self, State};
use crate::report::Format;
use crate::student::StudentCrate;

/// How long the events of one save may keep coming.
pub const SETTLE: Duration = Duration::from_millis(150);

/// The line printed when the watch is ready for the next save.
pub const WATCHING: &str = "watching ";

/// Checks `exercise` now and after each save of its file, writing each
/// verdict to `out`. Returns only on an error of the watch itself.
pub fn watch(
    root: &Path,
    exercises: &[Exercise],
    mine: &StudentCrate,
    exercise: &Exercise,
    out: &mut impl Write,
) -> Result<()> {
    mine.init(root, exercises)?;
    let file = mine.program_source(&exercise.name);
    let folder = file.parent().context("a program file is in a folder")?;
    let (events, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(events).context("cannot watch files")?;
    watcher
        .watch(folder, RecursiveMode::NonRecursive)
        .with_context(|| format!("cannot watch {}", folder.display()))?;

    let mut last = None;
    loop {
        let source = std::fs::read(&file).ok();
        if source != last {
            run_once(root, exercises, mine, exercise, out)?;
            last = source;
            writeln!(
                out,
                "\n{WATCHING}{}: save it to check again (Ctrl-C stops)",
                relative(root, &file)
            )?;
            out.flush()?;
        }
        // The next event about the file, then the rest of its burst.
        loop {
            let event = changes.recv().context("the watch of the files stopped")?;
            if concerns(&event, &file) {
                break;
            }
        }
        while changes.recv_timeout(SETTLE).is_ok() {}
    }
}

/// One check, whose errors (a program that does not compile) are reported
/// and do not end the watch.
fn run_once(
    root: &Path,
    exercises: &[Exercise],
    mine: &StudentCrate,
    exercise: &Exercise,
    out: &mut impl Write,
) -> Result<()> {
    let name = Some(exercise.name.as_str());
    match check(
        root,
        exercises,
        mine,
        name,
        Judged::Mine,
        Format::Human,
        out,
    ) {
        Err(err) => writeln!(out, "error: {err:#}")?,
        Ok(true) => {}
        Ok(false) => {
            let states = progress::states(mine, exercises)?;
            let next = progress::next(&states).filter(|e| e.name != exercise.name);
            writeln!(
                out,
                "{} is done: `cargo exercise solution {}` shows the book's solution",
                exercise.name, exercise.name
            )?;
            if let Some(next) = next {
                let started = states
                    .iter()
                    .any(|(e, s)| e.name == next.name && *s != State::NotStarted);
                let how = if started { "go on with" } else { "start" };
                writeln!(
                    out,
                    "next: {how} {name}: `cargo exercise watch {name}`",
                    name = next.name
                )?;
            }
        }
    }
    Ok(())
}

/// Whether `event` changed what the file at `file` says.
fn concerns(event: &notify::Result<notify::Event>, file: &Path) -> bool {
    let Ok(event) = event else {
        return false;
    };
    let changed = match event.kind {
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        _ => false,
    };
    changed
        && event
            .paths
            .iter()
            .any(|path| path.file_name() == file.file_name())
}
