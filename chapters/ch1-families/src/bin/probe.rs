//! Tries every family of the article with every type of the article and
//! prints what this machine allows, with the kernel's reason for each refusal.
//!
//! ```text
//! cargo run -p ch1-families --bin probe
//! sudo target/debug/probe --as-nobody     # as root, then as an ordinary user
//! ```

use std::process::ExitCode;

use ch1_families::probe::{self, Identity};
use ch1_families::report::say;
use clap::Parser;

/// Which socket families and types does this machine allow?
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// If running as root, first become the user `nobody`, to see what an
    /// ordinary user sees. Changes nothing for an ordinary user.
    #[arg(long)]
    as_nobody: bool,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        if args.as_nobody {
            match probe::become_nobody()? {
                Identity::SwitchedFromRoot => say("--as-nobody: switched from root to nobody"),
                Identity::AlreadyUnprivileged => say("--as-nobody: not root, nothing to give up"),
            }
        }
        say(probe::who_is_asking());
        say("");
        say(probe::render_table(&probe::probe_all()).trim_end());
        Ok(())
    })
}
