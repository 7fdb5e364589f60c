//! Where the secret comes from: `--secret`, `--secret-file`, or the
//! environment, so that it need not be on a command line that `ps` shows.

use crate::common;

use std::process::Command;

use ch3_ssh::secret::SECRET_ENV;
use common::*;

fn secret_file(contents: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, contents).unwrap();
    (dir, path.to_string_lossy().into_owned())
}

fn framed_with(port: &str, secret: &[&str], stdin: &[u8]) -> std::process::Output {
    let mut args = vec!["--protocol", "framed"];
    args.extend_from_slice(secret);
    client(port, &args, stdin)
}

#[test]
fn the_secret_can_come_from_a_file_at_either_end() {
    let (_dir, path) = secret_file("s3cret\n");
    let server = server(&["--secret-file", &path]);
    let port = server.port().unwrap();
    // The line ending is not part of the secret.
    let out = framed_with(&port, &["--secret", "s3cret"], b"echo in\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("in\nexit status: 0"));
    let out = framed_with(&port, &["--secret-file", &path], b"echo in\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("in\nexit status: 0"));
    let out = framed_with(&port, &["--secret", "s3cret\n"], b"echo in\n");
    assert_eq!(
        text(&out.stderr),
        "error: the server refused: wrong secret\n"
    );
}

#[test]
fn the_secret_can_come_from_the_environment_and_stays_with_the_server() {
    let mut command = server_command(&[]);
    command.env(SECRET_ENV, "s3cret");
    let server = book_support::ServerProcess::spawn(command).expect("ssh-server starts");
    let port = server.port().unwrap();
    let out = framed_with(&port, &[], b"echo in\n");
    assert!(
        text(&out.stderr).starts_with("[server] this server needs a secret"),
        "{}",
        text(&out.stderr)
    );
    // The commands the server runs do not inherit the variable.
    let out = framed_with(
        &port,
        &["--secret", "s3cret"],
        format!("echo \"[${SECRET_ENV}]\"\n").as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("[]\nexit status: 0"),
        "{}",
        text(&out.stdout)
    );
}

/// Runs `ssh-server` with `args`, which must fail before it listens.
fn server_fails(args: &[&str]) -> String {
    let out = run_with_stdin(server_command(args), b"");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing was bound");
    text(&out.stderr)
}

#[test]
fn a_missing_or_empty_secret_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file");
    let missing = missing.to_str().unwrap();
    assert_eq!(
        server_fails(&["--secret-file", missing]),
        format!(
            "error: cannot read the secret from {missing}: No such file or directory (os error 2)\n"
        )
    );
    let (_dir, empty) = secret_file("\nthe second line does not count\n");
    assert_eq!(
        server_fails(&["--secret-file", &empty]),
        format!("error: the secret in the first line of {empty} is empty\n")
    );
    assert_eq!(
        server_fails(&["--secret", ""]),
        "error: the secret in --secret is empty\n"
    );
    let mut command = server_command(&[]);
    command.env(SECRET_ENV, "");
    let out = run_with_stdin(command, b"");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        "error: the secret in SSH_SERVER_SECRET is empty\n"
    );
    // The client reads a file the same way.
    let mut client = Command::new(env!("CARGO_BIN_EXE_ssh-client"));
    client.args(["--protocol", "framed", "--secret-file", missing]);
    let out = run_with_stdin(client, b"");
    assert!(!out.status.success());
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: cannot read the secret from {missing}: No such file or directory (os error 2)\n"
        )
    );
}
