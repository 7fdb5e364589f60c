//! Chapter 3's benchmark, `ssh-bench`, run with tiny arguments: it
//! prints its table and, with `--out`, writes `results.csv` and its plots.
//! No timing is checked: the numbers belong to the machine (`cargo xtask
//! bench` runs it for real).

use assert_cmd::Command;
use book_bench::plot::svg_title;
use book_bench::results::Table;

#[test]
fn the_benchmark_writes_a_row_per_protocol_and_command_and_two_plots() {
    let out = tempfile::tempdir().unwrap();
    let assert = Command::new(env!("CARGO_BIN_EXE_ssh-bench"))
        .args(["--small", "5", "--big", "1", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout);
    assert!(stdout.contains("`true`, 5 round trips"), "{stdout}");
    assert!(stdout.contains("framed / article: `true` "), "{stdout}");
    let table = Table::read(&out.path().join("results.csv")).unwrap();
    assert_eq!(
        table.header,
        [
            "protocol",
            "command",
            "requests",
            "seconds",
            "requests_per_s",
            "us_per_request",
            "output_bytes",
            "mb_per_s"
        ]
    );
    assert_eq!(
        table.texts("protocol").unwrap(),
        ["tcp-echo", "article", "framed", "article", "framed"]
    );
    let big = "head -c 10000000 /dev/zero";
    assert_eq!(
        table.texts("command").unwrap(),
        ["1 byte there and back", "true", "true", big, big]
    );
    assert_eq!(
        table.numbers("output_bytes").unwrap()[3..],
        [Some(1e7), Some(1e7)]
    );
    assert!(
        table
            .numbers("requests_per_s")
            .unwrap()
            .iter()
            .all(|r| r.is_some_and(|r| r > 0.0))
    );
    for (file, title) in [
        (
            "round_trips.svg",
            "Running `true` remotely: round trips per second",
        ),
        ("throughput.svg", "A 10 MB output: MB/s per protocol"),
    ] {
        assert_eq!(svg_title(&out.path().join(file)).unwrap(), title);
    }
}
