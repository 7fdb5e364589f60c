//! Chapter 6's benchmark, `loop-bench`, run with tiny arguments: it
//! prints its table and, with `--out`, writes `results.csv` and its plots.
//! No timing is checked: the numbers belong to the machine (`cargo xtask
//! bench` runs it for real).

use assert_cmd::Command;
use book_bench::plot::svg_title;
use book_bench::results::Table;

/// The plots, file name and title, as the book shows them.
const PLOTS: [(&str, &str); 3] = [
    ("rate.svg", "Round trips per second by concurrency model"),
    (
        "latency.svg",
        "p99 latency of one round trip by concurrency model",
    ),
    (
        "memory.svg",
        "Server memory (PSS) under load by concurrency model",
    ),
];

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
    assert_eq!(
        table.header,
        [
            "model",
            "clients",
            "round_trips_per_s",
            "round_trips_per_s_min",
            "round_trips_per_s_max",
            "p50_us",
            "p99_us",
            "server_cpu_us_per_round_trip",
            "errors",
            "listen_overflows",
            "peak_kib",
            "idle_kib_per_connection",
        ]
    );
    assert_eq!(
        table.texts("model").unwrap(),
        ["threading", "threading", "mio", "mio", "tokio", "tokio"]
    );
    assert_eq!(
        table.numbers("clients").unwrap(),
        [1.0, 3.0, 1.0, 3.0, 1.0, 3.0].map(Some)
    );
    assert_eq!(table.numbers("errors").unwrap(), [Some(0.0); 6]);
    for column in ["round_trips_per_s", "peak_kib"] {
        let values = table.numbers(column).unwrap();
        assert!(
            values.iter().all(|v| v.is_some_and(|v| v > 0.0)),
            "{column}: {values:?}"
        );
    }
    // CPU time is counted in clock ticks: a short level may cost none.
    let cpu = table.numbers("server_cpu_us_per_round_trip").unwrap();
    assert!(cpu.iter().all(|v| v.is_some_and(|v| v >= 0.0)), "{cpu:?}");
    for (file, title) in PLOTS {
        assert_eq!(svg_title(&out.path().join(file)).unwrap(), title);
    }
}

#[test]
fn the_books_results_redraw_into_the_same_plots() {
    // The committed results of `cargo xtask bench ch6` parse, and
    // `--plot-only` draws every plot from them.
    let book = concat!(env!("CARGO_MANIFEST_DIR"), "/../book/ch6/bench");
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
