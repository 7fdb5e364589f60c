//! Chapter 4's benchmark, `ftp-bench`, run with tiny arguments: it
//! prints its table and, with `--out`, writes `results.csv` and its plots.
//! No timing is checked: the numbers belong to the machine (`cargo xtask
//! bench` runs it for real).

use std::path::Path;

use assert_cmd::Command;
use book_bench::plot::svg_title;
use book_bench::results::Table;

/// Builds chapter 4's `ftp-server` and `ftp-client` into the folder of
/// `ftp-bench`, which starts them from there. Cargo builds a package's own
/// programs for its tests, not another package's; a test runs after cargo
/// has let go of the target folder, so it may call cargo itself.
fn build_the_chapters_programs() {
    let folder = Path::new(env!("CARGO_BIN_EXE_ftp-bench")).parent().unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    build.args(["build", "--quiet", "--locked", "-p", "ch4-ftp", "--bins"]);
    if folder.ends_with("release") {
        build.arg("--release");
    }
    let status = build.status().expect("cannot run cargo");
    assert!(status.success(), "cargo build -p ch4-ftp --bins: {status}");
    for program in ["ftp-server", "ftp-client"] {
        assert!(
            folder.join(program).is_file(),
            "cargo built no {program} in {}",
            folder.display()
        );
    }
}

#[test]
fn the_benchmark_writes_a_row_per_measurement_and_two_plots() {
    build_the_chapters_programs();
    let out = tempfile::tempdir().unwrap();
    // The article's Python programs are left out: they are slow to start,
    // and python3 may be missing.
    let assert = Command::new(env!("CARGO_BIN_EXE_ftp-bench"))
        .args(["--size-mib", "2", "--no-python", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout);
    assert!(stdout.contains("framed get (warm) = "), "{stdout}");
    assert!(stdout.contains("% of md5 alone"), "{stdout}");
    assert!(
        stdout.contains("framed get with blake3 (warm) = ")
            && stdout.contains("% of loopback sendfile"),
        "{stdout}"
    );
    let table = Table::read(&out.path().join("results.csv")).unwrap();
    assert_eq!(
        table.header,
        [
            "measurement",
            "label",
            "file_mib",
            "mb_per_s",
            "sender_cpu_s",
            "receiver_cpu_s",
            "client_peak_mib",
            "server_peak_mib"
        ]
    );
    let mut ids = table.texts("measurement").unwrap();
    ids.retain(|id| *id != "md5sum"); // only where md5sum is installed
    assert_eq!(
        ids,
        [
            "md5-crate",
            "blake3-crate",
            "loopback-read-write",
            "loopback-io-copy",
            "loopback-sendfile",
            "loopback-sendfile-file",
            "framed-cold",
            "framed-warm",
            "blake3-cold",
            "blake3-warm",
            "article-rust"
        ]
    );
    assert!(
        table
            .numbers("mb_per_s")
            .unwrap()
            .iter()
            .all(|r| r.is_some_and(|r| r > 0.0))
    );
    // Every download has the client's peak memory, which is a few MiB.
    let peaks = table.numbers("client_peak_mib").unwrap();
    assert!(
        peaks[peaks.len() - 5..]
            .iter()
            .all(|p| p.is_some_and(|p| p > 0.0))
    );
    for (file, title) in [
        (
            "downloads.svg",
            "Downloading a 2 MiB file, its digest checked",
        ),
        ("memory.svg", "Peak memory while downloading a 2 MiB file"),
    ] {
        assert_eq!(svg_title(&out.path().join(file)).unwrap(), title);
    }
}
