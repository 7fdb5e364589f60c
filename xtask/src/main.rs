//! `cargo xtask`: the project's own commands. `cargo book` is
//! `cargo xtask book`; see `.cargo/config.toml` for the aliases.

use std::process::ExitCode;

use anyhow::{Context, Result, bail, ensure};
use clap::{Args, Parser, Subcommand};
use xtask::book::{self, ServeOptions, translation};

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
    /// Run the programs of every `book/chN/transcripts.toml` and rewrite the
    /// console output the book shows (`book/chN/transcripts/*.txt`).
    Transcripts(TranscriptsArgs),
    /// Run the book's benchmarks (release build, the book's arguments) and
    /// write their console output, results.csv and plots to
    /// book/chN/bench/, and the machine to book/appendix/machine.txt.
    Bench(BenchArgs),
    /// Build the book and check it in headless Chromium (chromedriver):
    /// every page, link, diagram and listing, search, themes; screenshots go
    /// to target/screenshots/.
    Browser,
}

#[derive(Debug, Args)]
struct TranscriptsArgs {
    /// Only compare with the committed files, and fail with a diff where
    /// they differ; write nothing.
    #[arg(long)]
    check: bool,
    /// Only the chapter folders named (`ch1`, `ch3`, ...); all by default.
    chapters: Vec<String>,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// Tiny sizes from a debug build, into target/bench-quick/ (never book/).
    #[arg(long)]
    quick: bool,
    /// Only the chapters named (`ch2`, `ch3`, ...); all by default.
    chapters: Vec<String>,
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
    /// Bring each translation (po/LANG.po) up to date with the English pages,
    /// as gettext's msgmerge does: new paragraphs come in untranslated,
    /// changed ones keep their old translation marked fuzzy.
    UpdateTranslations,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The port to serve on; 0 lets the system choose (the real one is printed).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Open the book in the default browser once it is served.
    #[arg(long)]
    open: bool,
    /// Build and serve only the edition in this language (`zh-CN`).
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,
}

fn main() -> ExitCode {
    book_support::cli::run(|| match Cli::parse().command {
        Command::Book(args) => match args.action {
            Some(BookAction::Build) => build_book(),
            Some(BookAction::UpdateTranslations) => update_translations(),
            Some(BookAction::Serve(serve)) => serve_book(&serve),
            None => serve_book(&args.serve),
        },
        Command::Transcripts(args) => transcripts(&args),
        Command::Bench(args) => {
            xtask::bench::run(xtask::workspace_root(), &args.chapters, args.quick)
        }
        Command::Browser => browser(),
    })
}

/// `cargo book serve`.
fn serve_book(args: &ServeArgs) -> Result<()> {
    let language = match &args.lang {
        None => None,
        Some(code) => Some(translation::language(code).with_context(|| {
            let known: Vec<_> = translation::LANGUAGES.iter().map(|l| l.code).collect();
            format!(
                "the book has no {code} edition (it has: {})",
                known.join(", ")
            )
        })?),
    };
    let options = ServeOptions {
        port: args.port,
        open: args.open,
        language,
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

/// `cargo book update-translations`.
fn update_translations() -> Result<()> {
    let root = xtask::workspace_root();
    for language in translation::LANGUAGES {
        let merged = translation::update(root, language)?;
        let path = translation::po_file(root, language);
        println!(
            "{}: {} messages, {} translated, {} fuzzy, {} untranslated; {} dropped",
            path.strip_prefix(root).unwrap_or(&path).display(),
            merged.total,
            merged.translated,
            merged.fuzzy,
            merged.untranslated,
            merged.dropped
        );
    }
    Ok(())
}

/// `cargo xtask transcripts`: build the chapters' programs into the
/// usual target folder, run every transcript spec, and rewrite (or, with
/// `--check`, compare) the blocks the book includes.
fn transcripts(args: &TranscriptsArgs) -> Result<()> {
    xtask::transcripts::run(xtask::workspace_root(), &args.chapters, args.check)
}

/// `cargo xtask browser`: what `tests/browser.rs` checks, by hand.
fn browser() -> Result<()> {
    let root = xtask::workspace_root();
    let Some(browser) = xtask::browser::Browser::find() else {
        bail!("chromium not found (apt-get install chromium chromium-driver)");
    };
    let dir = root.join("target").join("browser-book");
    let build = book::build_into(root, &dir)?;
    ensure!(
        build.findings.is_empty(),
        "the book has problems: {:?}",
        build.findings.lines()
    );
    let report = xtask::browser::check(root, &dir, &browser, &root.join("target/screenshots"))?;
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    println!("{report}");
    ensure!(
        report.problems.is_empty(),
        "the book has problems in the browser, listed above"
    );
    Ok(())
}
