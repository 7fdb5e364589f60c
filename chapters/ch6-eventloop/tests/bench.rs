//! The benchmark, run with tiny arguments: it prints its table and, with
//! `--out`, writes `results.csv` and its plots. No timing is checked: the
//! numbers belong to the machine (`cargo xtask bench` runs it for real).

use assert_cmd::Command;
use book_support::plot::{Table, svg_title};
use ch6_eventloop::measure::{COLUMNS, PLOTS, read_csv};

#[test]
fn the_benchmark_writes_a_row_per_model_and_level_and_three_plots() {
    let out = tempfile::tempdir().unwrap();
    let assert = Command::new(env!("CARGO_BIN_EXE_loop-bench"))
        .args([
            "--seconds",
            "0.2",
            "--clients",
            "1,3",
            "--models",
            "threading,mio,tokio",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout);
    assert!(
        stdout.contains("at 3 connections, against threading: mio "),
        "{stdout}"
    );
    let table = Table::read(&out.path().join("results.csv")).unwrap();
    assert_eq!(table.header, COLUMNS);
    assert_eq!(table.header[..3], ["model", "clients", "round_trips_per_s"]);
    assert_eq!(
        table.texts("model").unwrap(),
        ["threading", "threading", "mio", "mio", "tokio", "tokio"]
    );
    let rows = read_csv(&out.path().join("results.csv")).unwrap();
    assert!(
        rows.iter().all(|r| r.errors == 0 && r.rate > 0.0),
        "{rows:?}"
    );
    for (file, title) in PLOTS {
        assert_eq!(svg_title(&out.path().join(file)).unwrap(), title);
    }
    assert_eq!(
        PLOTS.map(|(file, _)| file),
        ["rate.svg", "latency.svg", "memory.svg"]
    );
}

#[test]
fn the_books_results_redraw_into_the_same_plots() {
    // The committed results of `cargo xtask bench ch6` parse, and
    // `--plot-only` draws every plot from them.
    let book = concat!(env!("CARGO_MANIFEST_DIR"), "/../../book/ch6/bench");
    let out = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{book}/results.csv"),
        out.path().join("results.csv"),
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_loop-bench"))
        .arg("--out")
        .arg(out.path())
        .arg("--plot-only")
        .assert()
        .success();
    for (file, title) in PLOTS {
        assert_eq!(svg_title(&out.path().join(file)).unwrap(), title);
    }
}
