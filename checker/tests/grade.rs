//! `cargo exercise grade` on a sample class (`tests/fixtures/grade/`): a
//! passing, a failing, a hanging, a flooding, a forking and a
//! non-compiling submission in Rust, a passing one in Python, and a folder
//! with nothing to grade. The command run is the one the book's "For
//! teachers" section shows; so are the GitHub Classroom workflow's commands.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use checker::grade::table::{Grades, Status};

/// The page that shows the commands.
const PAGE: &str = "book/intro/teaching.md";

/// What the forking submission's processes run: `sleep 2718.28`.
const FORK_MARK: &str = "2718.28";

fn root() -> PathBuf {
    checker::root()
}

fn exercise_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_exercise"))
}

fn python3_available() -> bool {
    book_support::tools::python3().is_some()
}

/// The fenced blocks of `markdown` in `language`, each as its lines.
fn blocks(markdown: &str, language: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    // Inside a block: its language and its lines so far.
    let mut current: Option<(String, Vec<String>)> = None;
    for line in markdown.lines() {
        if let Some(fence) = line.trim().strip_prefix("```") {
            match current.take() {
                Some((lang, lines)) if lang == language => found.push(lines),
                Some(_) => {}
                None => current = Some((fence.trim().to_string(), Vec::new())),
            }
            continue;
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line.to_string());
        }
    }
    found
}

/// The `cargo exercise grade` commands the page shows, as arguments of
/// the `exercise` program.
fn shown_grade_commands() -> Vec<Vec<String>> {
    let page = fs::read_to_string(root().join(PAGE)).unwrap();
    blocks(&page, "sh")
        .into_iter()
        .flatten()
        .filter(|line| line.trim_start().starts_with("cargo exercise grade"))
        .map(|line| {
            let line = line.split(" #").next().unwrap();
            let words = shlex::split(line).unwrap();
            words[2..].to_vec()
        })
        .collect()
}

/// The processes whose command line or working folder mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .unwrap_or_default();
        let cwd = fs::read_link(format!("/proc/{pid}/cwd"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if cmdline.contains(needle) || cwd.contains(needle) {
            found.push(format!("{pid}: {cmdline} (in {cwd})"));
        }
    }
    found
}

/// Runs the grader as the page shows it, in a folder of its own where
/// `checker/` leads to the book's (so the command's paths find the
/// sample class and its output lands in the scratch folder).
fn run_shown(args: &[String], scratch: &Path) -> (String, u32) {
    let link = scratch.join("checker");
    if !link.exists() {
        std::os::unix::fs::symlink(root().join("checker"), &link).unwrap();
    }
    let child = Command::new(exercise_bin())
        .args(args)
        .current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "`cargo exercise {}` failed:\n{stdout}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    (stdout, pid)
}

#[test]
fn the_books_grade_command_grades_the_sample_class_and_leaves_no_process() {
    let commands = shown_grade_commands();
    assert!(
        !commands.is_empty(),
        "{PAGE} shows no `cargo exercise grade` command in a ```sh block"
    );
    let scratch = tempfile::tempdir().unwrap();
    for args in &commands {
        let (stdout, pid) = run_shown(args, scratch.path());
        assert!(stdout.starts_with("student"), "the summary table: {stdout}");

        // Nothing the submissions started survives the run.
        let mark = format!("-{pid}-");
        let mut left = processes_mentioning(FORK_MARK);
        left.extend(processes_mentioning(&mark));
        assert!(left.is_empty(), "processes left running: {left:#?}");

        let out = args
            .iter()
            .position(|a| a == "--out")
            .map(|i| scratch.path().join(&args[i + 1]))
            .expect("the command names its output folder");
        check_tables(&out);
    }
}

/// The CSV and the JSON say the same, and what each submission deserves.
fn check_tables(out: &Path) {
    let json = fs::read_to_string(out.join("grades.json")).unwrap();
    let grades: Grades = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = grades.students.iter().map(|r| r.student.as_str()).collect();
    assert_eq!(
        names,
        [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "ivan"
        ]
    );
    let column = grades
        .exercises
        .iter()
        .position(|e| e == "ch1-udp-echo")
        .expect("a column for ch1-udp-echo");
    let row = |name: &str| grades.students.iter().find(|r| r.student == name).unwrap();
    let cell = |name: &str| &row(name).cells[column];
    let why = |name: &str| row(name).first_failure.clone().unwrap_or_default();

    for row in &grades.students {
        for (i, cell) in row.cells.iter().enumerate() {
            if i != column {
                assert_eq!(cell.status, Status::Missing, "{}: {cell:?}", row.student);
            }
        }
    }
    assert_eq!(cell("alice").status, Status::Pass, "{:?}", cell("alice"));
    assert_eq!(row("alice").passed, 1);
    assert_eq!(row("alice").first_failure, None);

    assert_eq!(cell("bob").status, Status::Fail, "{:?}", cell("bob"));
    assert_eq!(
        why("bob"),
        "ch1-udp-echo: a 60,000-byte datagram comes back whole"
    );
    assert!(
        cell("bob")
            .failed
            .as_ref()
            .and_then(|f| f.got.as_deref())
            .is_some_and(|got| got.contains("1024 bytes")),
        "{:?}",
        cell("bob")
    );

    assert_eq!(cell("carol").status, Status::Error, "{:?}", cell("carol"));
    assert!(why("carol").contains("time limit"), "{}", why("carol"));

    assert_ne!(cell("dave").status, Status::Pass, "{:?}", cell("dave"));
    assert!(!why("dave").is_empty());

    assert_eq!(cell("erin").status, Status::Error, "{:?}", cell("erin"));
    assert!(why("erin").contains("processes"), "{}", why("erin"));

    assert_eq!(cell("frank").status, Status::Error, "{:?}", cell("frank"));
    assert!(
        why("frank").starts_with("ch1-udp-echo: does not build: src/bin/ch1-udp-echo.rs:"),
        "{}",
        why("frank")
    );

    assert_eq!(row("grace").kind, "commands");
    if python3_available() {
        assert_eq!(cell("grace").status, Status::Pass, "{:?}", cell("grace"));
    }

    assert_eq!(row("ivan").kind, "none");
    assert!(
        row("ivan").notes.iter().any(|n| n.contains("neither")),
        "{:?}",
        row("ivan")
    );

    // The CSV: the same rows, a status per exercise.
    let mut csv = csv::Reader::from_path(out.join("grades.csv")).unwrap();
    let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..4], ["student", "kind", "passed", "total"]);
    assert_eq!(header[4..4 + grades.exercises.len()], grades.exercises[..]);
    assert_eq!(
        header[4 + grades.exercises.len()..],
        ["first failure", "notes"]
    );
    let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), grades.students.len());
    for (record, row) in records.iter().zip(&grades.students) {
        assert_eq!(&record[0], row.student);
        assert_eq!(&record[1], row.kind);
        assert_eq!(record[2].parse::<usize>().unwrap(), row.passed);
        for (i, cell) in row.cells.iter().enumerate() {
            assert_eq!(&record[4 + i], cell.status.word());
        }
        assert_eq!(
            &record[4 + grades.exercises.len()],
            row.first_failure.as_deref().unwrap_or("")
        );
    }
}

/// The grader steps of the GitHub Classroom workflow the page shows.
struct Step {
    id: String,
    test_name: String,
    command: String,
    max_score: u32,
}

fn classroom_workflow() -> Vec<String> {
    let page = fs::read_to_string(root().join(PAGE)).unwrap();
    let yaml: Vec<Vec<String>> = blocks(&page, "yaml")
        .into_iter()
        .filter(|b| b.iter().any(|l| l.contains("autograding-command-grader")))
        .collect();
    assert_eq!(yaml.len(), 1, "{PAGE} shows one GitHub Classroom workflow");
    yaml.into_iter().next().unwrap()
}

fn grader_steps(lines: &[String]) -> Vec<Step> {
    let value = |line: &str, key: &str| -> Option<String> {
        line.trim()
            .strip_prefix(key)
            .map(|v| v.trim().trim_matches('\'').trim_matches('"').to_string())
    };
    let mut steps = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.contains("uses: classroom-resources/autograding-command-grader@v1") {
            continue;
        }
        // The step's lines: from its `- name:` to the next step.
        let start = (0..i)
            .rev()
            .find(|&j| lines[j].trim_start().starts_with("- "))
            .unwrap();
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim_start().starts_with("- "))
            .unwrap_or(lines.len());
        let field = |key: &str| {
            lines[start..end]
                .iter()
                .find_map(|l| value(l, key))
                .unwrap_or_else(|| panic!("a grader step without `{key}`"))
        };
        steps.push(Step {
            id: field("id:"),
            test_name: field("test-name:"),
            command: field("command:"),
            max_score: field("max-score:").parse().unwrap(),
        });
    }
    steps
}

#[test]
fn the_classroom_workflow_grades_each_exercise_by_the_checkers_exit_code() {
    let lines = classroom_workflow();
    let steps = grader_steps(&lines);
    assert!(!steps.is_empty());
    let exercises = checker::catalog::load(&root()).unwrap();
    let text = lines.join("\n");
    for step in &steps {
        assert!(
            exercises.iter().any(|e| e.name == step.id),
            "a step for `{}`, which is no exercise",
            step.id
        );
        assert_eq!(step.test_name, step.id);
        assert_eq!(step.command, format!("cargo exercise check {}", step.id));
        assert!(step.max_score > 0);
        // The reporter reads each step's result from `<ID>_RESULTS`.
        let env = format!(
            "{}_RESULTS: \"${{{{steps.{}.outputs.result}}}}\"",
            step.id.to_uppercase(),
            step.id
        );
        assert!(text.contains(&env), "the reporter has no `{env}`");
    }
    let runners: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
    assert!(
        text.contains(&format!("runners: {}", runners.join(","))),
        "the reporter's runners are the steps: {}",
        runners.join(",")
    );

    // Exit code 0 (full marks) for a passing program, 1 (none) otherwise:
    // each step's command on the sample class's passing and failing
    // students' crates.
    let scratch = tempfile::tempdir().unwrap();
    let fixtures = root().join("checker/tests/fixtures/grade");
    for student in ["alice", "bob"] {
        let copy = scratch.path().join(format!("classroom-{student}"));
        fs::create_dir_all(copy.join("src/bin")).unwrap();
        let program = "src/bin/ch1-udp-echo.rs";
        fs::copy(
            fixtures.join(student).join("my-exercises").join(program),
            copy.join(program),
        )
        .unwrap();
        for step in &steps {
            let words = shlex::split(&step.command).unwrap();
            let status = Command::new(exercise_bin())
                .arg("--dir")
                .arg(&copy)
                .args(&words[2..])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap();
            let full_marks = student == "alice" && step.id == "ch1-udp-echo";
            let expected = if full_marks { 0 } else { 1 };
            assert_eq!(
                status.code(),
                Some(expected),
                "`{}` on {student}'s crate",
                step.command
            );
        }
    }
}
