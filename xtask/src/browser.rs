//! The book as a reader's browser shows it: headless Chromium, driven over
//! WebDriver (`chromedriver`), against the built book served on loopback.
//!
//! [`check`] opens every page of SUMMARY.md and the print page, and reports
//! what a reader would stumble on: a console error (a script that throws, a
//! file that does not load), a link to a page or an anchor that is not
//! there, an image that does not show, a diagram that stayed text, a code
//! listing that is empty or not highlighted. It also searches the book,
//! switches the theme and the language, and saves screenshots. It does all
//! this for each edition, English at the root and Chinese at `zh-CN/`, in
//! two browsers side by side, and checks that every diagram of the Chinese
//! edition has Chinese labels. `tests/browser.rs` runs it; `cargo xtask
//! browser` runs it by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::book::diagrams;

/// How long one page may take to load, and a script to run.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a wait for something on a page (diagrams drawn, search results,
/// a theme applied) may last.
const WAIT: Duration = Duration::from_secs(20);
/// How long chromedriver may take to start.
const DRIVER_START: Duration = Duration::from_secs(20);

/// One edition of the book, as the browser checks it.
#[derive(Debug, Clone, Copy)]
struct Edition {
    /// Its folder in the built book: `""` for English, `"zh-CN"`.
    folder: &'static str,
    /// Its `<html lang>`.
    lang: &'static str,
    /// Searches that must find a page under a folder: (query, folder).
    searches: &'static [(&'static str, &'static str)],
    /// Whether it is in Chinese: every diagram and the search box must be.
    chinese: bool,
}

/// The editions `cargo book` builds.
const EDITIONS: [Edition; 2] = [
    Edition {
        folder: "",
        lang: "en",
        searches: &[("sendall", "ch2/"), ("粘包", "ch3/")],
        chinese: false,
    },
    Edition {
        folder: "zh-CN",
        lang: "zh-CN",
        searches: &[("粘包", "ch3/"), ("三次握手", "ch1/"), ("非阻塞", "ch6/")],
        chinese: true,
    },
];

impl Edition {
    /// The URL of its root, under the book's `base`.
    fn base(&self, base: &str) -> String {
        match self.folder {
            "" => base.to_owned(),
            folder => format!("{base}/{folder}"),
        }
    }

    /// A page's path from the server's root (`zh-CN/ch1/index.html`).
    fn path(&self, page: &str) -> String {
        match self.folder {
            "" => page.to_owned(),
            folder => format!("{folder}/{page}"),
        }
    }

    /// What its screenshots' names start with.
    fn screenshot_prefix(&self) -> String {
        match self.folder {
            "" => String::new(),
            folder => format!("{folder}-"),
        }
    }
}

/// The Chromium and chromedriver programs.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The browser, e.g. `/usr/bin/chromium`.
    pub chromium: PathBuf,
    /// Its WebDriver server, e.g. `/usr/bin/chromedriver`.
    pub chromedriver: PathBuf,
}

impl Browser {
    /// Chromium and chromedriver from `$CHROMIUM` and `$CHROMEDRIVER`, or
    /// found on PATH (`chromium`, `chromium-browser`, `google-chrome`;
    /// `chromedriver`). `None` if either is missing.
    pub fn find() -> Option<Self> {
        let chromium = from_env_or_path(
            "CHROMIUM",
            &["chromium", "chromium-browser", "google-chrome"],
        )?;
        let chromedriver = from_env_or_path("CHROMEDRIVER", &["chromedriver"])?;
        Some(Self {
            chromium,
            chromedriver,
        })
    }
}

/// The program `$var` names, or the first of `names` on PATH.
fn from_env_or_path(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// What the browser check saw.
#[derive(Debug, Default)]
pub struct Report {
    /// Pages opened (SUMMARY's and the print page).
    pub pages: usize,
    /// Diagrams drawn as SVG.
    pub diagrams: usize,
    /// Code blocks seen, and how many of them were Rust, highlighted.
    pub code_blocks: usize,
    /// Rust listings seen highlighted.
    pub rust_listings: usize,
    /// Internal links followed (to a page or an anchor).
    pub links: usize,
    /// Screenshots written.
    pub screenshots: Vec<PathBuf>,
    /// Everything wrong, one a line, with the page it is on.
    pub problems: Vec<String>,
    /// How long it all took.
    pub elapsed: Duration,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} pages, {} diagrams drawn, {} code blocks ({} Rust listings highlighted), \
             {} internal links, {} screenshots, {} problem(s), in {:.1} s",
            self.pages,
            self.diagrams,
            self.code_blocks,
            self.rust_listings,
            self.links,
            self.screenshots.len(),
            self.problems.len(),
            self.elapsed.as_secs_f64()
        )
    }
}

/// Serves the built book in `book_dir` on loopback and checks it in
/// headless Chromium; the book's sources are at `root`. Screenshots go to
/// `screenshots`.
pub fn check(
    root: &Path,
    book_dir: &Path,
    browser: &Browser,
    screenshots: &Path,
) -> Result<Report> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime")?;
    let started = Instant::now();
    let mut report = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .context("cannot listen on loopback")?;
        let addr = listener.local_addr()?;
        let dir = book_dir.to_path_buf();
        let server = tokio::spawn(async move { crate::book::serve_files(listener, &dir).await });
        let result = check_served(
            root,
            book_dir,
            browser,
            screenshots,
            &format!("http://{addr}"),
        )
        .await;
        server.abort();
        result
    })?;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// A running chromedriver, killed when dropped.
struct Driver {
    /// Kept only to be killed (`kill_on_drop`) when the driver is dropped.
    _child: tokio::process::Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver on a port of the system's choice and waits for
    /// it to say which.
    async fn start(browser: &Browser) -> Result<Self> {
        let mut child = tokio::process::Command::new(&browser.chromedriver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", browser.chromedriver.display()))?;
        let stdout = child.stdout.take().context("stdout is piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(DRIVER_START, async {
            while let Some(line) = lines.next_line().await? {
                // "ChromeDriver was started successfully on port 35703."
                if let Some(rest) = line.split("successfully on port ").nth(1) {
                    return Ok(rest.trim_end_matches('.').trim().to_owned());
                }
            }
            Err(anyhow!("chromedriver exited before it listened"))
        })
        .await
        .map_err(|_| anyhow!("chromedriver did not start within {DRIVER_START:?}"))??;
        // Keep reading its stdout so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            _child: child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

/// chromedriver's (non-standard, long-lived) command for the browser's
/// console log: `POST /session/ID/se/log {"type": "browser"}`.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The errors the browser logged since the last call: console errors,
/// uncaught exceptions, resources that failed to load.
async fn console_errors(client: &Client) -> Result<Vec<String>> {
    let log = client
        .issue_cmd(BrowserLog)
        .await
        .context("cannot read the browser's log")?;
    Ok(log
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["level"] == "SEVERE")
        .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
        .collect())
}

/// Reports each console error logged since the last look as a problem of
/// `what` (a page, a check).
async fn report_console_errors(client: &Client, what: &str, report: &mut Report) -> Result<()> {
    for error in console_errors(client).await? {
        report
            .problems
            .push(format!("{what}: console error: {error}"));
    }
    Ok(())
}

/// What one page holds, as its script below reports it.
#[derive(Debug, serde::Deserialize)]
struct PageFacts {
    lang: String,
    ids: Vec<String>,
    links: Vec<String>,
    broken_images: Vec<String>,
    mermaid_blocks: usize,
    mermaid_svgs: usize,
    mermaid_svgs_in_chinese: usize,
    diagrams_state: Option<String>,
    search_placeholder: Option<String>,
    language_switch: Option<String>,
    code_blocks: usize,
    empty_code_blocks: usize,
    rust_blocks: usize,
    rust_unhighlighted: usize,
}

/// Gathers a page's [`PageFacts`] in the browser.
const PAGE_FACTS_JS: &str = r#"
const html = document.documentElement;
const main = document.querySelector('main') || document.body;
const origin = window.location.origin;
const links = [];
for (const a of main.querySelectorAll('a[href]')) {
    const url = new URL(a.getAttribute('href'), window.location.href);
    if (url.origin === origin) { links.push(url.pathname + url.hash); }
}
const ids = Array.from(document.querySelectorAll('[id]')).map((e) => e.id);
const broken_images = Array.from(document.images)
    .filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.getAttribute('src'));
const code = Array.from(main.querySelectorAll('pre > code'));
const rust = code.filter((c) => c.classList.contains('language-rust'));
const svgs = Array.from(main.querySelectorAll('pre.mermaid svg'));
return {
    lang: html.lang,
    ids, links, broken_images,
    mermaid_blocks: main.querySelectorAll('pre.mermaid').length,
    mermaid_svgs: svgs.length,
    mermaid_svgs_in_chinese: svgs.filter((svg) => /\p{Script=Han}/u.test(svg.textContent)).length,
    diagrams_state: html.dataset.diagrams || null,
    search_placeholder: (document.getElementById('mdbook-searchbar') || {}).placeholder || null,
    language_switch: html.dataset.languageSwitch || null,
    code_blocks: code.length,
    empty_code_blocks: code.filter((c) => c.textContent.trim() === '').length,
    rust_blocks: rust.length,
    rust_unhighlighted: rust.filter((c) =>
        !c.classList.contains('hljs') || c.querySelector('[class^="hljs-"]') === null).length,
};
"#;

/// Polls `script` (a JS expression) until it is true, at most [`WAIT`].
async fn wait_until(client: &Client, script: &str) -> Result<bool> {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = client
            .execute(&format!("return !!({script});"), vec![])
            .await?;
        if value == Value::Bool(true) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The pages of SUMMARY.md, as paths of the built book (`ch1/index.html`),
/// with the number of diagrams each page's Markdown has.
fn summary_pages(root: &Path) -> Result<Vec<(String, usize)>> {
    let src = crate::book::source_dir(root)?;
    let summary = fs::read_to_string(src.join("SUMMARY.md")).context("cannot read SUMMARY.md")?;
    let summary = mdbook_summary::parse_summary(&summary)?;
    let mut items: Vec<&mdbook_summary::SummaryItem> = summary
        .prefix_chapters
        .iter()
        .chain(&summary.numbered_chapters)
        .chain(&summary.suffix_chapters)
        .collect();
    items.reverse();
    let mut pages = Vec::new();
    while let Some(item) = items.pop() {
        if let mdbook_summary::SummaryItem::Link(link) = item {
            if let Some(location) = &link.location {
                let markdown = fs::read_to_string(src.join(location)).unwrap_or_default();
                let mut html = location.with_extension("html");
                if location.file_name().is_some_and(|n| n == "README.md") {
                    html.set_file_name("index.html");
                }
                let html = html.to_string_lossy().replace('\\', "/");
                pages.push((html, diagrams::count_blocks(&markdown)));
            }
            items.extend(link.nested_items.iter().rev());
        }
    }
    Ok(pages)
}

/// The browser's capabilities: headless, no sandbox (tests run as root),
/// nothing that reaches the network, a fresh profile, the console log kept.
fn capabilities(browser: &Browser, profile: &Path) -> serde_json::Map<String, Value> {
    let args = [
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--window-size=1280,900".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": browser.chromium, "args": args },
        "goog:loggingPrefs": { "browser": "ALL" },
        "timeouts": { "pageLoad": PAGE_TIMEOUT.as_millis() as u64, "script": PAGE_TIMEOUT.as_millis() as u64 },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The checks of every edition, each in a browser of its own, side by
/// side, against the book served at `base`.
async fn check_served(
    root: &Path,
    book_dir: &Path,
    browser: &Browser,
    screenshots: &Path,
    base: &str,
) -> Result<Report> {
    fs::create_dir_all(screenshots)
        .with_context(|| format!("cannot create {}", screenshots.display()))?;
    let [english, chinese] = EDITIONS;
    let reports = tokio::join!(
        check_edition(root, book_dir, browser, screenshots, base, english),
        check_edition(root, book_dir, browser, screenshots, base, chinese),
    );
    let mut report = Report::default();
    for edition in [reports.0, reports.1] {
        let edition = edition?;
        report.pages += edition.pages;
        report.diagrams += edition.diagrams;
        report.code_blocks += edition.code_blocks;
        report.rust_listings += edition.rust_listings;
        report.links += edition.links;
        report.screenshots.extend(edition.screenshots);
        report.problems.extend(edition.problems);
    }
    Ok(report)
}

/// The checks of one edition, in a browser of its own.
async fn check_edition(
    root: &Path,
    book_dir: &Path,
    browser: &Browser,
    screenshots: &Path,
    base: &str,
    edition: Edition,
) -> Result<Report> {
    let profile = tempfile::tempdir().context("cannot make a browser profile folder")?;
    let driver = Driver::start(browser).await?;
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = tokio::time::timeout(
        PAGE_TIMEOUT,
        ClientBuilder::new(connector)
            .capabilities(capabilities(browser, profile.path()))
            .connect(&driver.url),
    )
    .await
    .map_err(|_| anyhow!("Chromium did not start within {PAGE_TIMEOUT:?}"))?
    .context("cannot start Chromium through chromedriver")?;
    let result = tokio::time::timeout(
        Duration::from_secs(600),
        run_checks(&client, root, book_dir, screenshots, base, edition),
    )
    .await
    .unwrap_or_else(|_| Err(anyhow!("the browser checks took over 10 minutes")));
    let _ = client.close().await;
    drop(driver);
    result
}

/// Every check, one after the other, in one browser.
async fn run_checks(
    client: &Client,
    root: &Path,
    book_dir: &Path,
    screenshots: &Path,
    base: &str,
    edition: Edition,
) -> Result<Report> {
    let mut report = Report::default();
    let pages: Vec<(String, usize)> = summary_pages(root)?
        .into_iter()
        .map(|(page, diagrams)| (edition.path(&page), diagrams))
        .collect();
    if pages.is_empty() {
        bail!("SUMMARY.md names no page");
    }
    let mut ids_by_page: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut links: Vec<(String, String)> = Vec::new(); // (from page, link)
    let total_diagrams: usize = pages.iter().map(|(_, n)| n).sum();
    let mut visit = pages.clone();
    visit.push((edition.path("print.html"), total_diagrams));

    for (page, expected_diagrams) in &visit {
        let facts = open_page(client, base, page, *expected_diagrams, &mut report).await?;
        report.pages += 1;
        if facts.lang != edition.lang {
            report.problems.push(format!(
                "{page}: <html lang={:?}>, not {:?}",
                facts.lang, edition.lang
            ));
        }
        let placeholder = facts.search_placeholder.as_deref().unwrap_or_default();
        if edition.chinese && !placeholder.chars().any(is_han) {
            report.problems.push(format!(
                "{page}: the search box says {placeholder:?}, not in Chinese"
            ));
        }
        if edition.chinese && facts.mermaid_svgs_in_chinese != facts.mermaid_svgs {
            report.problems.push(format!(
                "{page}: {} of {} diagram(s) have no Chinese words: left untranslated",
                facts.mermaid_svgs - facts.mermaid_svgs_in_chinese,
                facts.mermaid_svgs
            ));
        }
        for link in facts.links {
            links.push((page.clone(), link));
        }
        ids_by_page.insert(format!("/{page}"), facts.ids.into_iter().collect());
    }

    check_links(book_dir, &ids_by_page, &links, &mut report);
    let edition_base = edition.base(base);
    for (query, expected) in edition.searches {
        check_search(client, &edition_base, query, expected, &mut report).await?;
    }
    check_theme_switch(client, &edition_base, &mut report).await?;
    check_language_switch(client, base, edition, &mut report).await?;
    let prefix = edition.screenshot_prefix();
    take_screenshots(client, base, &pages, screenshots, &prefix, &mut report).await?;
    report_console_errors(client, "after the last checks", &mut report).await?;
    Ok(report)
}

/// Opens one page and checks what can be checked on it alone.
async fn open_page(
    client: &Client,
    base: &str,
    page: &str,
    expected_diagrams: usize,
    report: &mut Report,
) -> Result<PageFacts> {
    // Drop what earlier pages logged.
    console_errors(client).await?;
    client
        .goto(&format!("{base}/{page}"))
        .await
        .with_context(|| format!("cannot open {page}"))?;
    if expected_diagrams > 0
        && !wait_until(client, "document.documentElement.dataset.diagrams").await?
    {
        report.problems.push(format!(
            "{page}: the diagrams were not drawn within {WAIT:?}"
        ));
    }
    // The language switch is put in once the other edition's page is found.
    wait_until(client, "document.documentElement.dataset.languageSwitch").await?;
    let facts: PageFacts = serde_json::from_value(
        client
            .execute(PAGE_FACTS_JS, vec![])
            .await
            .with_context(|| format!("cannot read {page}"))?,
    )
    .context("the page script returned something unexpected")?;
    report_console_errors(client, page, report).await?;
    let problems = &mut report.problems;
    if facts.language_switch.as_deref() != Some("shown") {
        problems.push(format!(
            "{page}: no language switch to the other edition (state: {})",
            facts.language_switch.as_deref().unwrap_or("never decided")
        ));
    }
    for image in &facts.broken_images {
        problems.push(format!("{page}: the image {image} does not show"));
    }
    if facts.mermaid_blocks != expected_diagrams {
        problems.push(format!(
            "{page}: {} diagram block(s) in the HTML, {expected_diagrams} in the Markdown",
            facts.mermaid_blocks
        ));
    }
    if facts.mermaid_svgs != facts.mermaid_blocks {
        problems.push(format!(
            "{page}: {} of {} diagram(s) drawn as SVG (state: {})",
            facts.mermaid_svgs,
            facts.mermaid_blocks,
            facts.diagrams_state.as_deref().unwrap_or("never started")
        ));
    }
    if facts.empty_code_blocks > 0 {
        problems.push(format!(
            "{page}: {} empty code block(s)",
            facts.empty_code_blocks
        ));
    }
    if facts.rust_unhighlighted > 0 {
        problems.push(format!(
            "{page}: {} Rust listing(s) not highlighted",
            facts.rust_unhighlighted
        ));
    }
    report.diagrams += facts.mermaid_svgs;
    report.code_blocks += facts.code_blocks;
    report.rust_listings += facts.rust_blocks - facts.rust_unhighlighted;
    Ok(facts)
}

/// Every internal link leads to a file of the book, and its `#anchor` to
/// an element of that page.
fn check_links(
    book_dir: &Path,
    ids_by_page: &BTreeMap<String, BTreeSet<String>>,
    links: &[(String, String)],
    report: &mut Report,
) {
    let mut seen = BTreeSet::new();
    for (page, link) in links {
        if !seen.insert((page.clone(), link.clone())) {
            continue;
        }
        report.links += 1;
        let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
        // `%XX` decoded, as the browser does for paths and anchors.
        let mut file =
            book_dir.join(&*percent_decode_str(path.trim_start_matches('/')).decode_utf8_lossy());
        if path.ends_with('/') || file.is_dir() {
            file = file.join("index.html");
        }
        if !file.is_file() {
            report.problems.push(format!(
                "{page}: the link {link} leads to no file of the book"
            ));
            continue;
        }
        if fragment.is_empty() {
            continue;
        }
        let fragment = percent_decode_str(fragment).decode_utf8_lossy();
        let found = match ids_by_page.get(path) {
            Some(ids) => ids.contains(&*fragment),
            None => fs::read_to_string(&file)
                .is_ok_and(|html| html.contains(&format!("id=\"{fragment}\""))),
        };
        if !found {
            report.problems.push(format!(
                "{page}: the link {link} names an anchor its page lacks"
            ));
        }
    }
}

/// The book's search finds `term` on a page under `expected`.
async fn check_search(
    client: &Client,
    base: &str,
    term: &str,
    expected: &str,
    report: &mut Report,
) -> Result<()> {
    console_errors(client).await?;
    let encoded: String = url::form_urlencoded::byte_serialize(term.as_bytes()).collect();
    client
        .goto(&format!("{base}/index.html?search={encoded}"))
        .await?;
    let found = wait_until(
        client,
        "document.querySelectorAll('#mdbook-searchresults li a').length > 0",
    )
    .await?;
    let hrefs = client
        .execute(
            "return Array.from(document.querySelectorAll('#mdbook-searchresults li a'))\
             .map((a) => a.getAttribute('href'));",
            vec![],
        )
        .await?;
    let hrefs: Vec<String> = serde_json::from_value(hrefs).unwrap_or_default();
    if !found || !hrefs.iter().any(|href| href.contains(expected)) {
        let said = client
            .execute(
                "return [document.querySelector('#mdbook-searchbar').value, \
                 document.querySelector('#mdbook-searchresults-header').innerText];",
                vec![],
            )
            .await?;
        report.problems.push(format!(
            "search for {term:?} finds nothing under {expected}: results {hrefs:?}; \
             the search bar and its header say {said}"
        ));
    }
    report_console_errors(client, &format!("search for {term:?}"), report).await
}

/// The theme menu switches to a dark theme and back, and the page follows.
async fn check_theme_switch(client: &Client, base: &str, report: &mut Report) -> Result<()> {
    client.goto(&format!("{base}/index.html")).await?;
    for (theme, class) in [("navy", "navy"), ("light", "light")] {
        client
            .find(Locator::Id("mdbook-theme-toggle"))
            .await?
            .click()
            .await
            .context("cannot open the theme menu")?;
        let item = client
            .find(Locator::Id(&format!("mdbook-theme-{theme}")))
            .await?;
        item.click()
            .await
            .with_context(|| format!("cannot choose {theme}"))?;
        let applied = wait_until(
            client,
            &format!("document.documentElement.classList.contains('{class}')"),
        )
        .await?;
        if !applied {
            report
                .problems
                .push(format!("choosing the {theme} theme did not apply it"));
        }
    }
    report_console_errors(client, "theme switch", report).await
}

/// Whether `c` is a Chinese character (of the CJK Unified Ideographs).
fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The page the language switch is tried on, and an anchor of it.
const SWITCH_PAGE: &str = "ch3/sticky-packets.html#the-articles-cure-wait-for-ok";

/// On a page of `edition`, the language switch leads to the same page, at
/// the same anchor, in the other edition.
async fn check_language_switch(
    client: &Client,
    base: &str,
    edition: Edition,
    report: &mut Report,
) -> Result<()> {
    let Some(other) = EDITIONS.iter().find(|e| e.folder != edition.folder) else {
        return Ok(());
    };
    client
        .goto(&format!("{base}/{}", edition.path(SWITCH_PAGE)))
        .await?;
    let shown = wait_until(
        client,
        "document.documentElement.dataset.languageSwitch === 'shown'",
    )
    .await?;
    if !shown {
        report.problems.push(format!(
            "{}: no language switch to {}",
            edition.path(SWITCH_PAGE),
            other.lang
        ));
        return Ok(());
    }
    client
        .find(Locator::Id("language-switch"))
        .await?
        .click()
        .await
        .context("cannot click the language switch")?;
    let expected = format!("{base}/{}", other.path(SWITCH_PAGE));
    let arrived = wait_until(
        client,
        &format!(
            "window.location.href === {} && document.documentElement.lang === {:?} \
             && document.getElementById(window.location.hash.slice(1)) !== null",
            serde_json::to_string(&expected)?,
            other.lang
        ),
    )
    .await?;
    if !arrived {
        let at = client.current_url().await?;
        report.problems.push(format!(
            "the language switch of {} led to {at}, not {expected}",
            edition.path(SWITCH_PAGE)
        ));
    }
    report_console_errors(client, "language switch", report).await
}

/// The introduction, a chapter page with a diagram, and that diagram alone,
/// of the edition whose `pages` these are; the files' names start with
/// `prefix`.
async fn take_screenshots(
    client: &Client,
    base: &str,
    pages: &[(String, usize)],
    dir: &Path,
    prefix: &str,
    report: &mut Report,
) -> Result<()> {
    let mut save = |name: &str, png: Vec<u8>| -> Result<()> {
        let path = dir.join(format!("{prefix}{name}"));
        fs::write(&path, png).with_context(|| format!("cannot write {}", path.display()))?;
        report.screenshots.push(path);
        Ok(())
    };
    let Some((first, _)) = pages.first() else {
        return Ok(());
    };
    client.goto(&format!("{base}/{first}")).await?;
    // The language switch is put in once the other edition is found there.
    wait_until(client, "document.documentElement.dataset.languageSwitch").await?;
    save("introduction.png", client.screenshot().await?)?;
    let Some((page, _)) = pages.iter().find(|(_, diagrams)| *diagrams > 0) else {
        return Ok(());
    };
    client.goto(&format!("{base}/{page}")).await?;
    wait_until(client, "document.documentElement.dataset.diagrams").await?;
    save("chapter.png", client.screenshot().await?)?;
    let diagram = client.find(Locator::Css("pre.mermaid")).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&diagram)?],
        )
        .await?;
    save("diagram.png", diagram.screenshot().await?)?;
    Ok(())
}
