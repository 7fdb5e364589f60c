//! Chapter 2's benchmark, `api-bench`, run with tiny arguments: it
//! prints its table and, with `--out`, writes `results.csv` and its plots.
//! No timing is checked: the numbers belong to the machine (`cargo xtask
//! bench` runs it for real).

use std::path::Path;

use assert_cmd::Command;
use book_bench::plot::svg_title;
use book_bench::results::Table;

fn bench(args: &[&str], out: &Path) -> String {
    let assert = Command::new(env!("CARGO_BIN_EXE_api-bench"))
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

#[test]
fn the_benchmark_writes_a_row_per_method_and_the_throughput_plot() {
    let out = tempfile::tempdir().unwrap();
    let printed = bench(&["--size-mib", "2", "--no-syscalls"], out.path());
    assert!(printed.contains("sending a 2 MiB file"), "{printed}");
    assert!(
        printed.contains("against a 1 KiB read-and-send loop: sendfile "),
        "{printed}"
    );
    let table = Table::read(&out.path().join("results.csv")).unwrap();
    assert_eq!(
        table.header[..6],
        [
            "method",
            "file_mib",
            "bytes",
            "seconds",
            "mb_per_s",
            "strace_file_mib"
        ]
    );
    assert!(table.header.contains(&"sendfile_calls".to_string()));
    assert_eq!(
        table.texts("method").unwrap(),
        ["sendfile", "io-copy", "loop-1k", "loop-64k"]
    );
    for (bytes, rate) in table
        .numbers("bytes")
        .unwrap()
        .into_iter()
        .zip(table.numbers("mb_per_s").unwrap())
    {
        assert_eq!(bytes, Some(2.0 * 1024.0 * 1024.0));
        assert!(rate.is_some_and(|r| r > 0.0));
    }
    assert_eq!(
        svg_title(&out.path().join("throughput.svg")).unwrap(),
        "Sending a 2 MiB file over loopback, by method"
    );
    // Without strace counts there is no system call plot.
    assert!(!out.path().join("syscalls.svg").exists());
    // The plots are redrawn from results.csv alone.
    std::fs::remove_file(out.path().join("throughput.svg")).unwrap();
    bench(&["--plot-only"], out.path());
    assert!(out.path().join("throughput.svg").exists());
}

#[test]
fn with_strace_it_counts_and_plots_the_system_calls() {
    if !book_support::tools::available("strace") {
        eprintln!("SKIPPED: strace is not installed (apt-get install strace)");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    bench(&["--size-mib", "1", "--strace-size-mib", "1"], out.path());
    let table = Table::read(&out.path().join("results.csv")).unwrap();
    let sendfile_calls = table.numbers("sendfile_calls").unwrap();
    // Only the sendfile way calls sendfile(2), and a 1 MiB file takes few.
    assert!(
        sendfile_calls[0].is_some_and(|n| n >= 1.0),
        "{sendfile_calls:?}"
    );
    assert_eq!(sendfile_calls[1..], [Some(0.0); 3]);
    assert_eq!(
        svg_title(&out.path().join("syscalls.svg")).unwrap(),
        "System calls to send a 1 MiB file, by method"
    );
}
