//! Chapter 5's benchmark, `upper-bench`, run with tiny arguments: it
//! prints its table and, with `--out`, writes `results.csv` and its plots.
//! No timing is checked: the numbers belong to the machine (`cargo xtask
//! bench` runs it for real).

use assert_cmd::Command;
use book_bench::plot::svg_title;
use book_bench::results::Table;

#[test]
fn the_benchmark_writes_a_row_per_server_and_level_and_two_plots() {
    let out = tempfile::tempdir().unwrap();
    // The Python servers are left out: python3 may be missing.
    Command::new(env!("CARGO_BIN_EXE_upper-bench"))
        .args([
            "--seconds",
            "0.2",
            "--clients",
            "1,3",
            "--servers",
            "rust-threading,rust-forking",
            "--out",
        ])
        .arg(out.path())
        .assert()
        .success();
    let table = Table::read(&out.path().join("results.csv")).unwrap();
    assert_eq!(
        table.header,
        [
            "server",
            "clients",
            "round_trips_per_s",
            "p50_us",
            "p99_us",
            "errors",
            "listen_overflows",
            "slowest_connect_ms"
        ]
    );
    assert_eq!(
        table.texts("server").unwrap(),
        [
            "rust-threading",
            "rust-threading",
            "rust-forking",
            "rust-forking"
        ]
    );
    assert_eq!(
        table.numbers("clients").unwrap(),
        [Some(1.0), Some(3.0), Some(1.0), Some(3.0)]
    );
    assert_eq!(table.numbers("errors").unwrap(), [Some(0.0); 4]);
    assert!(
        table
            .numbers("round_trips_per_s")
            .unwrap()
            .iter()
            .all(|r| r.is_some_and(|r| r > 0.0))
    );
    for (file, title) in [
        ("rate.svg", "Upper-casing servers: round trips per second"),
        (
            "latency.svg",
            "Upper-casing servers: p99 latency of one round trip",
        ),
    ] {
        assert_eq!(svg_title(&out.path().join(file)).unwrap(), title);
    }
}
