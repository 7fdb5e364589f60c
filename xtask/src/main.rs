//! `cargo xtask`: the project's own commands. `cargo book` is
//! `cargo xtask book`; see `.cargo/config.toml` for the aliases.

use std::process::ExitCode;

use anyhow::{Result, ensure};
use clap::{Args, Parser, Subcommand};
use xtask::book::{self, ServeOptions};

/// The project's own commands.
#[derive(Debug, Parser)]
#[command(name = "xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the book and serve it (`cargo book`), or only build it
    /// (`cargo book build`).
    Book(BookArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct BookArgs {
    #[command(subcommand)]
    action: Option<BookAction>,
    /// With no action, the book is served with these options.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum BookAction {
    /// Build the book, serve it on http://127.0.0.1:PORT and rebuild it when
    /// book/ or chapters/ change (the default).
    Serve(ServeArgs),
    /// Only write the HTML, for CI and static hosting, and say where; fail if
    /// mdBook logged a warning or an error.
    Build,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The port to serve on; 0 lets the system choose (the real one is printed).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Open the book in the default browser once it is served.
    #[arg(long)]
    open: bool,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let Command::Book(args) = Cli::parse().command;
        match args.action {
            Some(BookAction::Build) => build_book(),
            Some(BookAction::Serve(serve)) => serve_book(&serve),
            None => serve_book(&args.serve),
        }
    })
}

/// `cargo book serve`.
fn serve_book(args: &ServeArgs) -> Result<()> {
    let options = ServeOptions {
        port: args.port,
        open: args.open,
    };
    book::serve(xtask::workspace_root(), &options)
}

/// `cargo book build`: a build with findings is a failed build, because the
/// HTML it wrote is not what the sources say.
fn build_book() -> Result<()> {
    let build = book::build(xtask::workspace_root())?;
    let findings = build.findings.lines();
    for line in &findings {
        eprintln!("{line}");
    }
    ensure!(
        findings.is_empty(),
        "the book was written to {} but has {} problem(s), listed above",
        build.dir.display(),
        findings.len()
    );
    println!("wrote the book to {}", build.dir.display());
    println!("open {}", build.dir.join("index.html").display());
    Ok(())
}
