//! `cargo xtask bench`: every benchmark of the book, run as the book runs it.
//!
//! For each chapter asked for (all by default) it builds the chapter's
//! programs in release, runs the benchmark with the book's arguments and
//! `--out book/chN/bench`, and writes there, beside the benchmark's own
//! `results.csv` and SVG plots, `console.txt`: the command as a reader types
//! it (`$ cargo run --release ...`) followed by everything the benchmark
//! printed. It also describes the machine and the date in
//! `book/appendix/machine.txt`. The numbers belong to one machine and one
//! run, so no test compares them; the chapters' tests run every benchmark
//! with tiny arguments instead.
//!
//! `--quick` runs tiny sizes from a debug build into `target/bench-quick/`,
//! to try the command out; it never touches `book/`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use book_bench::machine;

/// One benchmark of the book.
#[derive(Debug, Clone, Copy)]
pub struct Bench {
    /// The chapter's folder under `book/` (`ch2`).
    pub chapter: &'static str,
    /// The chapter's package.
    pub package: &'static str,
    /// The benchmark binary.
    pub bin: &'static str,
    /// The arguments the book runs it with (besides `--out`).
    pub book_args: &'static [&'static str],
    /// Tiny arguments for `--quick`.
    pub quick_args: &'static [&'static str],
    /// Whether it starts other binaries of its package, so that a reader
    /// must build them all first (`cargo run` builds only the one).
    pub needs_all_bins: bool,
}

/// Every benchmark of the book, in the order of the chapters.
pub const BENCHES: [Bench; 5] = [
    Bench {
        chapter: "ch2",
        package: "ch2-api",
        bin: "api-bench",
        book_args: &[],
        quick_args: &["--size-mib", "4", "--strace-size-mib", "1"],
        needs_all_bins: false,
    },
    Bench {
        chapter: "ch3",
        package: "ch3-ssh",
        bin: "ssh-bench",
        book_args: &[],
        quick_args: &["--small", "5", "--big", "1"],
        needs_all_bins: false,
    },
    Bench {
        chapter: "ch4",
        package: "ch4-ftp",
        bin: "ftp-bench",
        book_args: &["--size-mib", "1024"],
        quick_args: &["--size-mib", "4", "--no-python"],
        needs_all_bins: true,
    },
    Bench {
        chapter: "ch5",
        package: "ch5-socketserver",
        bin: "upper-bench",
        book_args: &[],
        quick_args: &[
            "--seconds",
            "0.2",
            "--clients",
            "1,4",
            "--servers",
            "rust-threading,rust-forking",
        ],
        needs_all_bins: false,
    },
    Bench {
        chapter: "ch6",
        package: "ch6-eventloop",
        bin: "loop-bench",
        book_args: &["--seconds", "5"],
        quick_args: &["--seconds", "0.2", "--clients", "2,8"],
        needs_all_bins: false,
    },
];

impl Bench {
    /// The arguments of a run that writes into `out`.
    pub fn args(&self, quick: bool, out: &str) -> Vec<String> {
        let mut args: Vec<String> = if quick {
            self.quick_args
        } else {
            self.book_args
        }
        .iter()
        .map(|a| a.to_string())
        .collect();
        args.extend(["--out".to_string(), out.to_string()]);
        args
    }

    /// The command as a reader types it at the workspace root: a release
    /// build, or a debug one for `--quick`.
    pub fn shown_command(&self, quick: bool, args: &[String]) -> String {
        let args = args.join(" ");
        let (release, profile) = if quick {
            ("", "debug")
        } else {
            (" --release", "release")
        };
        if self.needs_all_bins {
            format!(
                "cargo build{release} -p {} --bins && target/{profile}/{} {args}",
                self.package, self.bin
            )
        } else {
            format!(
                "cargo run{release} -p {} --bin {} -- {args}",
                self.package, self.bin
            )
        }
    }
}

/// `cargo xtask bench [CHAPTER...] [--quick]`.
pub fn run(root: &Path, chapters: &[String], quick: bool) -> Result<()> {
    for name in chapters {
        ensure!(
            BENCHES.iter().any(|b| b.chapter == name),
            "no benchmark for {name:?}; the chapters with one: {}",
            BENCHES.map(|b| b.chapter).join(" ")
        );
    }
    let chosen: Vec<Bench> = BENCHES
        .into_iter()
        .filter(|b| chapters.is_empty() || chapters.iter().any(|c| c == b.chapter))
        .collect();
    let profile = if quick { "debug" } else { "release" };
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build.current_dir(root).arg("build").arg("--bins");
    if !quick {
        build.arg("--release");
    }
    for bench in &chosen {
        build.args(["-p", bench.package]);
    }
    println!("building the benchmarks ({profile})");
    let status = build.status().context("cannot run cargo build")?;
    ensure!(status.success(), "cargo build failed: {status}");
    let bin_dir = root.join("target").join(profile);

    for bench in &chosen {
        let out_rel = if quick {
            PathBuf::from("target/bench-quick").join(bench.chapter)
        } else {
            PathBuf::from("book").join(bench.chapter).join("bench")
        };
        let out = root.join(&out_rel);
        fs::create_dir_all(&out)?;
        let args = bench.args(quick, &out_rel.to_string_lossy());
        let shown = bench.shown_command(quick, &args);
        println!("\n$ {shown}");
        let printed = run_teed(root, &bin_dir.join(bench.bin), &args)
            .with_context(|| format!("the {} benchmark failed", bench.chapter))?;
        fs::write(out.join("console.txt"), format!("$ {shown}\n{printed}"))?;
        println!("wrote {}", out_rel.join("console.txt").display());
    }

    let names: Vec<&str> = chosen.iter().map(|b| b.chapter).collect();
    let machine_path = if quick {
        root.join("target/bench-quick/machine.txt")
    } else {
        root.join("book/appendix/machine.txt")
    };
    let earlier = fs::read_to_string(&machine_path).unwrap_or_default();
    let machine = machine_description(&names, &earlier)?;
    fs::write(&machine_path, &machine)?;
    println!(
        "\n{machine}wrote {}",
        machine_path
            .strip_prefix(root)
            .unwrap_or(&machine_path)
            .display()
    );
    Ok(())
}

/// Runs `program` with `args` in `dir`, showing its output as it comes
/// and returning it: stdout and stderr together, as a terminal shows them.
fn run_teed(dir: &Path, program: &Path, args: &[String]) -> Result<String> {
    let (reader, writer) = std::io::pipe()?;
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let mut printed = String::new();
    let mut lines = BufReader::new(reader);
    let mut line = String::new();
    // The command's own end closes the pipe: our copies of the writer went
    // to the child and were dropped with the Command.
    while lines.read_line(&mut line)? > 0 {
        print!("{line}");
        std::io::stdout().flush()?;
        printed.push_str(&line);
        line.clear();
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("{} exited with {status}", program.display());
    }
    Ok(printed)
}

/// What `book/appendix/machine.txt` says: the kernel, the CPU, the cores,
/// the memory and the compiler, then the day each chapter was measured.
/// The chapters of this run get today's date; the others keep the date
/// `earlier` (the file as it was) gives them.
pub fn machine_description(chapters: &[&str], earlier: &str) -> Result<String> {
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let (kernel, cpu, cores, memory) = (
        machine::kernel(),
        machine::cpu(),
        machine::cores(),
        machine::memory(),
    );
    let rustc = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let mut text = format!(
        "kernel:   {kernel}\n\
         cpu:      {cpu}\n\
         cores:    {cores}\n\
         memory:   {memory}\n\
         rustc:    {rustc}\n"
    );
    for bench in BENCHES {
        let date = if chapters.contains(&bench.chapter) {
            Some(today.clone())
        } else {
            measured_on(earlier, bench.chapter)
        };
        if let Some(date) = date {
            text.push_str(&format!(
                "{}:{:width$}measured {date} (UTC)\n",
                bench.chapter,
                "",
                width = 10 - bench.chapter.len() - 1
            ));
        }
    }
    Ok(text)
}

/// The date a `machine.txt` gives for `chapter`, if it has one.
fn measured_on(machine: &str, chapter: &str) -> Option<String> {
    machine.lines().find_map(|line| {
        let rest = line.strip_prefix(chapter)?.strip_prefix(':')?;
        let date = rest.trim().strip_prefix("measured ")?;
        Some(date.split_whitespace().next()?.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_shown_are_the_ones_a_reader_types() {
        let ch4 = BENCHES[2];
        let args = ch4.args(false, "book/ch4/bench");
        assert_eq!(
            ch4.shown_command(false, &args),
            "cargo build --release -p ch4-ftp --bins && \
             target/release/ftp-bench --size-mib 1024 --out book/ch4/bench"
        );
        let ch6 = BENCHES[4];
        let args = ch6.args(false, "book/ch6/bench");
        assert_eq!(
            ch6.shown_command(false, &args),
            "cargo run --release -p ch6-eventloop --bin loop-bench -- --seconds 5 --out book/ch6/bench"
        );
        let args = ch6.args(true, "target/bench-quick/ch6");
        assert!(
            ch6.shown_command(true, &args)
                .starts_with("cargo run -p ch6-eventloop")
        );
    }

    #[test]
    fn the_machine_is_described_with_every_field() {
        let text = machine_description(&["ch3"], "").unwrap();
        for field in [
            "kernel:",
            "cpu:",
            "cores:",
            "memory:",
            "rustc:",
            "ch3:      measured 20",
        ] {
            assert!(text.contains(field), "{field} missing from {text}");
        }
        assert!(!text.contains("ch2:"), "{text}");
    }

    #[test]
    fn chapters_not_measured_now_keep_their_earlier_date() {
        let earlier = "cores:    2\nch2:      measured 2026-11-01 (UTC)\nch3:      measured 2026-11-01 (UTC)\n";
        let text = machine_description(&["ch3"], earlier).unwrap();
        assert!(
            text.contains("ch2:      measured 2026-11-01 (UTC)\n"),
            "{text}"
        );
        assert!(!text.contains("ch3:      measured 2026-11-01"), "{text}");
        assert_eq!(measured_on(earlier, "ch2").as_deref(), Some("2026-11-01"));
        assert_eq!(measured_on(earlier, "ch6"), None);
    }
}
