//! Each checker passes its reference solution and fails wrong programs.

use crate::common;

/// The chapter's checkers, kept beside its exercises (the checker builds
/// them too).
#[path = "../checks.rs"]
#[allow(dead_code)] // a test uses only some of what the checker uses
mod checks;
use book_support::check::check_program;
use checks::checkers;
use common::python3;

#[test]
fn safe_path_checker_passes_the_solution() {
    let program: &[&str] = &[
        env!("CARGO_BIN_EXE_ch4-safe-path"),
        "--port",
        "{port}",
        "--root",
        "{path}",
    ];
    let passed = check_program(&checkers(), "ch4-safe-path", program).unwrap();
    assert_eq!(passed.len(), 10, "{passed:?}");
}

/// A file server that joins the name to the root and opens it.
const NAIVE_SERVER: &str = r#"
import os, socket, sys, threading
root = sys.argv[sys.argv.index("--root") + 1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print("listening on %s:%d" % s.getsockname(), flush=True)
def serve(c):
    for line in c.makefile("rb"):
        path = os.path.join(root, line.decode().rstrip("\n"))
        try:
            data = open(path, "rb").read()
            c.sendall(b"ok %d\n" % len(data) + data)
        except FileNotFoundError:
            c.sendall(b"missing\n")
        except OSError:
            c.sendall(b"refused\n")
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,)).start()
"#;

#[test]
fn safe_path_checker_fails_a_naive_file_server() {
    let Some(python) = python3() else { return };
    let program: &[&str] = &[
        python,
        "-c",
        NAIVE_SERVER,
        "--port",
        "{port}",
        "--root",
        "{path}",
    ];
    let failure = check_program(&checkers(), "ch4-safe-path", program).unwrap_err();
    assert!(failure.contains("(the program served it)"), "{failure}");
}

fn program(file: &str) -> String {
    format!("{}/tests/programs/{file}", env!("CARGO_MANIFEST_DIR"))
}

const FTP_CLIENT_ARGS: [&str; 4] = ["--port", "{port}", "--dir", "{path}"];

#[test]
fn every_exercise_has_a_checker() {
    let names: Vec<&str> = checkers().iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "ch4-file-md5",
            "ch4-safe-path",
            "ch4-ftp-client",
            "ch4-resume-server"
        ]
    );
}

#[test]
fn ftp_client_checker_passes_the_solution() {
    let program = [
        &[env!("CARGO_BIN_EXE_ch4-ftp-client")][..],
        &FTP_CLIENT_ARGS,
    ]
    .concat();
    let passed = check_program(&checkers(), "ch4-ftp-client", &program).unwrap();
    assert_eq!(passed.len(), 4, "{passed:?}");
}

#[test]
fn ftp_client_checker_fails_a_client_that_skips_the_md5() {
    let Some(python) = python3() else { return };
    let file = program("ftp_client_no_md5.py");
    let words = [&[python, &file][..], &FTP_CLIENT_ARGS].concat();
    let failure = check_program(&checkers(), "ch4-ftp-client", &words).unwrap_err();
    assert!(
        failure.starts_with("a file whose md5 does not match")
            && failure.contains(r#"got:      "ok bad.bin""#),
        "{failure}"
    );
}

#[test]
fn ftp_client_checker_fails_a_client_that_keeps_the_wrong_file() {
    let Some(python) = python3() else { return };
    let file = program("ftp_client_keeps_bad_file.py");
    let words = [&[python, &file][..], &FTP_CLIENT_ARGS].concat();
    let failure = check_program(&checkers(), "ch4-ftp-client", &words).unwrap_err();
    assert!(
        failure.starts_with("a file whose md5 does not match")
            && failure.contains("expected: no file bad.bin in the folder"),
        "{failure}"
    );
}

#[test]
fn ftp_client_checker_fails_a_program_that_never_connects_or_gets_no_folder() {
    // A server never connects.
    let program = [
        env!("CARGO_BIN_EXE_ch4-safe-path"),
        "--port",
        "{port}",
        "--root",
        "{path}",
    ];
    let failure = check_program(&checkers(), "ch4-ftp-client", &program).unwrap_err();
    assert!(
        failure.starts_with("the program connects to the server"),
        "{failure}"
    );
    let no_dir = [env!("CARGO_BIN_EXE_ch4-ftp-client"), "--port", "{port}"];
    let failure = check_program(&checkers(), "ch4-ftp-client", &no_dir).unwrap_err();
    assert!(
        failure.starts_with("the program is given the folder to download into"),
        "{failure}"
    );
}

const ROOT_ARGS: [&str; 4] = ["--port", "{port}", "--root", "{path}"];

#[test]
fn file_md5_checker_passes_the_solution() {
    let program = [&[env!("CARGO_BIN_EXE_ch4-file-md5")][..], &ROOT_ARGS].concat();
    let passed = check_program(&checkers(), "ch4-file-md5", &program).unwrap();
    // Three files, a missing one, the big one, and the memory it took.
    assert_eq!(passed.len(), 6, "{passed:?}");
}

/// The checker's verdict on `tests/programs/file_md5_wrong.py --bug BUG`.
fn file_md5_failure(bug: &str) -> Option<String> {
    let python = python3()?;
    let file = program("file_md5_wrong.py");
    let words = [&[python, &file, "--bug", bug][..], &ROOT_ARGS].concat();
    Some(check_program(&checkers(), "ch4-file-md5", &words).unwrap_err())
}

#[test]
fn file_md5_checker_fails_a_program_that_reads_the_whole_file() {
    // Every digest is right: only the program's peak memory tells.
    let Some(failure) = file_md5_failure("whole") else {
        return;
    };
    assert!(
        failure.starts_with(
            "while it hashed big.bin, the program's peak memory grew by less than 12 MiB"
        ) && failure.contains("the whole file was in memory at once"),
        "{failure}"
    );
}

#[test]
fn file_md5_checker_fails_a_program_that_hashes_only_the_first_read() {
    let Some(failure) = file_md5_failure("first-read") else {
        return;
    };
    assert!(
        failure.starts_with("stat chunks.bin")
            && failure.contains(r#"got:      "stat 65536 "#)
            && failure.contains("up to the read that returns 0"),
        "{failure}"
    );
}

#[test]
fn file_md5_checker_fails_a_program_that_hashes_the_whole_buffer() {
    let Some(failure) = file_md5_failure("whole-buffer") else {
        return;
    };
    assert!(
        failure.starts_with("stat hello.txt")
            && failure.contains("expected: stat 6 b1946ac92492d2347c6235b4d2611184")
            && failure.contains("not the whole buffer"),
        "{failure}"
    );
}

#[test]
fn resume_server_checker_passes_the_solution_and_the_chapters_server() {
    for server in [
        env!("CARGO_BIN_EXE_ch4-resume-server"),
        env!("CARGO_BIN_EXE_ftp-server"),
    ] {
        let program = [&[server][..], &ROOT_ARGS].concat();
        let passed = check_program(&checkers(), "ch4-resume-server", &program).unwrap();
        assert_eq!(passed.len(), 9, "{passed:?}");
    }
}

#[test]
fn resume_server_checker_fails_typical_wrong_servers() {
    let Some(python) = python3() else { return };
    let file = program("resume_server_wrong.py");
    // Each bug, the expectation it fails, and what the verdict says.
    let cases = [
        (
            "md5-of-range",
            "get 123456 data.bin",
            "MD5 is the md5 of the whole file",
        ),
        (
            "ignore-offset",
            "get 123456 data.bin",
            "seek to START, then send exactly SIZE - START bytes",
        ),
        (
            "past-end-error",
            "get 300001 data.bin",
            "start again from 0, and say so (START 0)",
        ),
        (
            "close-on-error",
            "get ten data.bin",
            "an error reply does not end the connection",
        ),
        (
            "one-at-a-time",
            "a second client is served",
            "a thread of its own",
        ),
    ];
    for (bug, step, says) in cases {
        let words = [&[python, &file, "--bug", bug][..], &ROOT_ARGS].concat();
        let failure = check_program(&checkers(), "ch4-resume-server", &words).unwrap_err();
        assert!(
            failure.starts_with(step) && failure.contains(says),
            "{bug}: {failure}"
        );
    }
}
