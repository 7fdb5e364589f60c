//! `cargo xtask bench`: every benchmark of the book, run as the book runs it.
//!
//! The benchmarks are programs of the `book-bench` package (`bench/`), one
//! per chapter that measures something. For each chapter asked for (all by
//! default) this builds its benchmark in release, and the chapter's own
//! programs where the benchmark starts them, runs the benchmark with the
//! book's arguments and `--out book/chN/bench`, and writes there, beside the
//! benchmark's own `results.csv` and SVG plots, `console.txt`: the command
//! as a reader types it (`$ cargo run --release -p book-bench ...`) followed
//! by everything the benchmark printed. It also describes the machine and
//! the date in `book/appendix/machine.txt`. The numbers belong to one
//! machine and one run, so no test compares them; `book-bench`'s tests run
//! every benchmark with tiny arguments instead.
//!
//! `--quick` runs tiny sizes from a debug build into `target/bench-quick/`,
//! to try the command out; it never touches `book/`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};
use book_support::machine;

/// The package of every benchmark program.
pub const PACKAGE: &str = "book-bench";

/// One benchmark of the book.
#[derive(Debug, Clone, Copy)]
pub struct Bench {
    /// The chapter's folder under `book/` (`ch2`).
    pub chapter: &'static str,
    /// The benchmark program, a binary of [`PACKAGE`].
    pub bin: &'static str,
    /// The arguments the book runs it with (besides `--out`).
    pub book_args: &'static [&'static str],
    /// Tiny arguments for `--quick`.
    pub quick_args: &'static [&'static str],
    /// The chapter's package, where the benchmark starts that package's
    /// programs from its own folder, so that a reader builds them first
    /// (`cargo run` builds only the benchmark); `None` where it starts no
    /// program but itself.
    pub starts: Option<&'static str>,
}

/// Every benchmark of the book, in the order of the chapters.
pub const BENCHES: [Bench; 5] = [
    Bench {
        chapter: "ch2",
        bin: "api-bench",
        book_args: &[],
        quick_args: &["--size-mib", "4", "--strace-size-mib", "1"],
        starts: None,
    },
    Bench {
        chapter: "ch3",
        bin: "ssh-bench",
        book_args: &[],
        quick_args: &["--small", "5", "--big", "1"],
        starts: None,
    },
    Bench {
        chapter: "ch4",
        bin: "ftp-bench",
        book_args: &["--size-mib", "1024"],
        quick_args: &["--size-mib", "4", "--no-python"],
        starts: Some("ch4-ftp"),
    },
    Bench {
        chapter: "ch5",
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
        starts: None,
    },
    Bench {
        chapter: "ch6",
        bin: "loop-bench",
        book_args: &["--seconds", "4", "--rounds", "3", "--syscalls"],
        quick_args: &["--seconds", "0.2", "--clients", "2,8"],
        starts: None,
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
        let release = if quick { "" } else { " --release" };
        let run = format!(
            "cargo run{release} -p {PACKAGE} --bin {} -- {}",
            self.bin,
            args.join(" ")
        );
        match self.starts {
            Some(package) => format!("cargo build{release} -p {package} --bins && {run}"),
            None => run,
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
    println!("building the benchmarks ({profile})");
    let mut benchmarks = vec!["-p", PACKAGE];
    for bench in &chosen {
        benchmarks.extend(["--bin", bench.bin]);
    }
    cargo_build(root, quick, &benchmarks)?;
    for package in chosen.iter().filter_map(|b| b.starts) {
        cargo_build(root, quick, &["-p", package, "--bins"])?;
    }
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

/// Runs `cargo build` in `root` with `args`, in release unless `quick`.
fn cargo_build(root: &Path, quick: bool, args: &[&str]) -> Result<()> {
    let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    build.current_dir(root).arg("build").args(args);
    if !quick {
        build.arg("--release");
    }
    let status = build.status().context("cannot run cargo build")?;
    ensure!(
        status.success(),
        "cargo build {} failed: {status}",
        args.join(" ")
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
    if machine::hands_freed_memory_to_host() {
        text.push_str(
            "host:     a virtual machine that hands freed memory back to its host \
             (virtio free page reporting)\n",
        );
    }
    // Said on each chapter's line, since chapters are measured on
    // different days: whether the host took freed memory back meanwhile.
    let now = if machine::hands_freed_memory_to_host() && !machine::free_page_reporting_on() {
        format!("{today} (UTC), with free page reporting off")
    } else {
        format!("{today} (UTC)")
    };
    for bench in BENCHES {
        let when = if chapters.contains(&bench.chapter) {
            Some(now.clone())
        } else {
            measured_on(earlier, bench.chapter)
        };
        if let Some(when) = when {
            text.push_str(&format!(
                "{}:{:width$}measured {when}\n",
                bench.chapter,
                "",
                width = 10 - bench.chapter.len() - 1
            ));
        }
    }
    Ok(text)
}

/// What a `machine.txt` says after `measured` for `chapter` (its date, and
/// anything said of that run), if it has such a line.
fn measured_on(machine: &str, chapter: &str) -> Option<String> {
    machine.lines().find_map(|line| {
        let rest = line.strip_prefix(chapter)?.strip_prefix(':')?;
        Some(rest.trim().strip_prefix("measured ")?.to_string())
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
            "cargo build --release -p ch4-ftp --bins && cargo run --release -p book-bench \
             --bin ftp-bench -- --size-mib 1024 --out book/ch4/bench"
        );
        let ch6 = BENCHES[4];
        let args = ch6.args(false, "book/ch6/bench");
        assert_eq!(
            ch6.shown_command(false, &args),
            "cargo run --release -p book-bench --bin loop-bench -- --seconds 4 --rounds 3 --syscalls \
             --out book/ch6/bench"
        );
        let args = ch6.args(true, "target/bench-quick/ch6");
        assert!(
            ch6.shown_command(true, &args)
                .starts_with("cargo run -p book-bench --bin loop-bench -- ")
        );
    }

    #[test]
    fn the_books_console_files_show_the_command_that_runs_the_benchmark() {
        for bench in BENCHES {
            let out = format!("book/{}/bench", bench.chapter);
            let console = concat!(env!("CARGO_MANIFEST_DIR"), "/../");
            let console = fs::read_to_string(format!("{console}{out}/console.txt")).unwrap();
            let shown = bench.shown_command(false, &bench.args(false, &out));
            assert_eq!(
                console.lines().next(),
                Some(format!("$ {shown}").as_str()),
                "{out}/console.txt: rerun `cargo xtask bench {}`",
                bench.chapter
            );
        }
    }

    #[test]
    fn every_benchmark_is_a_program_of_the_bench_package() {
        let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/Cargo.toml");
        let manifest: toml::Table = toml::from_str(&fs::read_to_string(manifest).unwrap()).unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some(PACKAGE));
        let bins: Vec<&str> = manifest["bin"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|bin| bin["name"].as_str())
            .collect();
        for bench in BENCHES {
            assert!(
                bins.contains(&bench.bin),
                "{} is not in {bins:?}",
                bench.bin
            );
        }
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
        let earlier = "cores:    2\nch2:      measured 2026-11-01 (UTC)\n\
                       ch3:      measured 2026-11-01 (UTC)\n\
                       ch4:      measured 2026-11-02 (UTC), with free page reporting off\n";
        let text = machine_description(&["ch3"], earlier).unwrap();
        assert!(
            text.contains("ch2:      measured 2026-11-01 (UTC)\n"),
            "{text}"
        );
        assert!(
            text.contains("ch4:      measured 2026-11-02 (UTC), with free page reporting off\n"),
            "{text}"
        );
        assert!(!text.contains("ch3:      measured 2026-11-01"), "{text}");
        assert_eq!(
            measured_on(earlier, "ch2").as_deref(),
            Some("2026-11-01 (UTC)")
        );
        assert_eq!(measured_on(earlier, "ch6"), None);
    }
}
