//! The built book in a real browser: headless Chromium, driven through
//! chromedriver, against the book served on loopback by the book command's
//! own server. See `xtask::browser` for what is checked; screenshots of the
//! introduction, a chapter page and a diagram are left in
//! `target/screenshots/` (CI keeps `target/`).
//!
//! Where Chromium or chromedriver is missing the test says SKIPPED, loudly,
//! and passes: `apt-get install chromium chromium-driver` makes it run.

use xtask::browser::{self, Browser};

#[test]
fn every_page_works_in_a_real_browser() {
    let Some(browser) = Browser::find() else {
        eprintln!("SKIPPED: chromium not found (apt-get install chromium chromium-driver)");
        println!("SKIPPED: chromium not found (apt-get install chromium chromium-driver)");
        return;
    };
    let root = xtask::workspace_root();
    // A folder of this run's own, so that a `cargo book` serving
    // target/book is not disturbed.
    let dir = root.join(format!("target/browser-book-{}", std::process::id()));
    let build = xtask::book::build_into(root, &dir)
        .unwrap_or_else(|err| panic!("the book does not build: {err:#}"));
    assert!(
        build.findings.is_empty(),
        "the book has build problems (see tests/book.rs):\n  {}",
        build.findings.lines().join("\n  ")
    );
    let report = browser::check(root, &dir, &browser, &root.join("target/screenshots"));
    let _ = std::fs::remove_dir_all(&dir);
    let report = report.unwrap_or_else(|err| panic!("the browser check could not run: {err:#}"));
    eprintln!("browser check: {report}");
    assert!(
        report.problems.is_empty(),
        "what a reader would meet in the browser:\n  {}",
        report.problems.join("\n  ")
    );
    assert!(report.pages > 1 && report.diagrams > 0 && report.screenshots.len() == 6);
}
