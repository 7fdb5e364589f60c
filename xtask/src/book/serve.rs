//! `cargo book`: build the book, serve it on localhost, rebuild on changes.
//!
//! The server is axum with tower-http's `ServeDir`, the same pair mdBook's
//! own `serve` uses; only the wiring is ours. There is no live reload: after
//! a rebuild, reload the page in the browser.

use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use notify::event::ModifyKind;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tower_http::services::{ServeDir, ServeFile};

use super::translation::Language;

/// How long a burst of file events must be quiet before a rebuild: one save
/// in an editor is often several events.
const SETTLE: Duration = Duration::from_millis(300);

/// How to serve the book.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The port on 127.0.0.1; 0 lets the system choose one.
    pub port: u16,
    /// Whether to open the book in a browser once it is served.
    pub open: bool,
    /// Only this edition, built and served alone; all of them if `None`.
    pub language: Option<Language>,
}

/// Builds the book at `root`, then serves it on `127.0.0.1:port` until the
/// process is stopped, rebuilding it whenever a file under `book/` or
/// `chapters/` changes.
///
/// Prints `serving the book on http://ADDR` once the server accepts
/// connections, with the real port when `port` is 0.
pub fn serve(root: &Path, options: &ServeOptions) -> Result<()> {
    let build = build(root, options.language)?;
    print_findings(&build.findings);
    let _watcher = watch_and_rebuild(root, options.language)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(serve_dir(&build.dir, options))
}

/// Serves the files of `dir`, with mdBook's `404.html` for unknown paths.
async fn serve_dir(dir: &Path, options: &ServeOptions) -> Result<()> {
    let wanted = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
    let listener = tokio::net::TcpListener::bind(wanted)
        .await
        .with_context(|| format!("cannot listen on {wanted}"))?;
    let addr = listener
        .local_addr()
        .context("cannot read the server's address")?;
    let url = format!("http://{addr}");
    announce(&url, dir, options.language);
    if options.open {
        open_browser(&url);
    }
    serve_files(listener, dir).await
}

/// Serves the files of `dir` on `listener` until the task is dropped, with
/// mdBook's `404.html` for unknown paths (and a 404 status).
///
/// The browser test runs this as a task beside its WebDriver client.
pub async fn serve_files(listener: tokio::net::TcpListener, dir: &Path) -> Result<()> {
    let files = ServeDir::new(dir).not_found_service(ServeFile::new(dir.join("404.html")));
    let app = Router::new().fallback_service(files);
    axum::serve(listener, app)
        .await
        .context("the book's server stopped")
}

/// Says where the book is served (and, when every edition is, where each
/// translation is) and where its files are, and flushes, so a script
/// reading our stdout through a pipe sees it at once.
fn announce(url: &str, dir: &Path, alone: Option<Language>) {
    let mut out = std::io::stdout().lock();
    // A vanished reader of our stdout is no reason to stop serving.
    let _ = writeln!(out, "serving the book on {url}");
    if alone.is_none() {
        for language in super::translation::LANGUAGES {
            let _ = writeln!(out, "  {}: {url}/{}/", language.title, language.code);
        }
    }
    let _ = writeln!(out, "from {}", dir.display());
    let _ = out.flush();
}

/// Opens `url` in the default browser; failing to is worth a warning only,
/// since the book is served all the same.
fn open_browser(url: &str) {
    if let Err(err) = opener::open_browser(url) {
        eprintln!("warning: cannot open a browser ({err}); open {url} yourself");
    }
}

/// Prints what a build got wrong, one warning a line, on stderr.
fn print_findings(findings: &super::Findings) {
    for line in findings.lines() {
        eprintln!("{line}");
    }
}

/// Builds every edition, or only the one in `language`.
fn build(root: &Path, language: Option<Language>) -> Result<super::Build> {
    match language {
        None => super::build(root),
        Some(language) => super::build_edition(root, language),
    }
}

/// Watches `book/`, `chapters/` and `po/` under `root` and rebuilds the
/// book on a thread of its own after each change; the watch lasts as long
/// as the returned watcher.
fn watch_and_rebuild(root: &Path, language: Option<Language>) -> Result<RecommendedWatcher> {
    let (events, changes) = mpsc::channel();
    let mut watcher =
        notify::recommended_watcher(events).context("cannot watch the book's files")?;
    for dir in [root.join("book"), root.join("chapters"), root.join("po")] {
        if dir.is_dir() {
            watcher
                .watch(&dir, RecursiveMode::Recursive)
                .with_context(|| format!("cannot watch {}", dir.display()))?;
        }
    }
    let root = root.to_path_buf();
    thread::spawn(move || rebuild_on_changes(&root, language, &changes));
    Ok(watcher)
}

/// Rebuilds the book after each settled burst of changes, until the watcher
/// is dropped.
fn rebuild_on_changes(
    root: &Path,
    language: Option<Language>,
    changes: &mpsc::Receiver<notify::Result<notify::Event>>,
) {
    while let Ok(event) = changes.recv() {
        if !is_a_change(&event) {
            continue;
        }
        // Swallow the rest of the burst.
        while changes.recv_timeout(SETTLE).is_ok() {}
        match build(root, language) {
            Ok(build) => {
                print_findings(&build.findings);
                println!("rebuilt the book: reload the page");
            }
            Err(err) => eprintln!("error: the book did not rebuild: {err:#}"),
        }
    }
}

/// Whether a file event changed what a file says or which files there are;
/// opening or reading files (as the build itself does) and touching their
/// metadata are not changes.
fn is_a_change(event: &notify::Result<notify::Event>) -> bool {
    event.as_ref().is_ok_and(|event| match event.kind {
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
        _ => false,
    })
}
