//! The server serves only what is under its root, and says so.

use crate::common;

use std::ffi::CString;
use std::fs;
use std::os::unix::fs::symlink;

use ch4_ftp::safety::{Refusal, Root, check_relative};
use common::*;
use predicates::prelude::*;

/// Adds the dangerous things to a world: symlinks out and in, a FIFO.
fn hostile_world() -> World {
    let world = World::new();
    symlink("../secret.txt", world.root.join("escape")).unwrap();
    symlink(world.tmp.path(), world.root.join("up")).unwrap();
    symlink("hello.txt", world.root.join("alias")).unwrap();
    let fifo = CString::new(world.root.join("pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    world
}

#[test]
fn the_textual_rules_refuse_absolute_and_parent_paths() {
    assert_eq!(check_relative("/etc/passwd"), Err(Refusal::Absolute));
    assert_eq!(check_relative("../secret.txt"), Err(Refusal::ParentDir));
    assert_eq!(
        check_relative("sub/../../secret.txt"),
        Err(Refusal::ParentDir)
    );
    assert_eq!(check_relative("a\0b"), Err(Refusal::BadByte));
    assert!(check_relative("sub/inner.txt").is_ok());
    assert!(check_relative("./hello.txt").is_ok());
}

#[test]
fn opening_follows_no_symlink_out_or_in() {
    let world = hostile_world();
    let root = Root::new(&world.root).unwrap();
    let refusal = |name| root.open_file(name).err();
    assert_eq!(refusal("escape"), Some(Refusal::Symlink));
    assert_eq!(refusal("up/secret.txt"), Some(Refusal::Symlink));
    // Even one that stays inside: it could be swapped for one that does not.
    assert_eq!(refusal("alias"), Some(Refusal::Symlink));
    assert_eq!(refusal("pipe"), Some(Refusal::NotRegular));
    assert_eq!(refusal("sub"), Some(Refusal::NotRegular));
    assert_eq!(refusal(""), Some(Refusal::Empty));
    assert_eq!(refusal("missing.txt"), Some(Refusal::NotFound));
    assert_eq!(refusal("hello.txt/x"), Some(Refusal::NotFound));
    assert_eq!(refusal(".upload-123-4"), Some(Refusal::NotFound));
    assert_eq!(refusal("sub/inner.txt"), None);
    assert_eq!(root.open_dir("up").err(), Some(Refusal::Symlink));
    assert_eq!(
        root.open_dir("hello.txt").err(),
        Some(Refusal::NotDirectory)
    );
    assert_eq!(root.open_dir("nowhere").err(), Some(Refusal::NotFound));
    assert!(root.open_dir("").is_ok() && root.open_dir("sub").is_ok());
    assert_eq!(root.new_file("../x").err(), Some(Refusal::ParentDir));
    assert_eq!(root.new_file("up/x").err(), Some(Refusal::Symlink));
    assert_eq!(root.new_file("hello.txt").err(), Some(Refusal::Exists));
    assert_eq!(root.new_file("alias").err(), Some(Refusal::Exists));
    assert_eq!(root.new_file(".upload-1").err(), Some(Refusal::Reserved));
    assert!(root.new_file("sub/new.txt").is_ok());
}

#[test]
fn every_escape_is_refused_with_a_clear_reply_and_logged_in_the_framed_protocol() {
    let world = hostile_world();
    let server = world.server("framed");
    let port = server.port().unwrap();
    let cases = [
        (
            "get ../secret.txt",
            "`..` is not allowed in a path: ../secret.txt (refused)",
        ),
        ("get sub/../../secret.txt", "`..` is not allowed in a path"),
        (
            "get /etc/passwd",
            "absolute paths are not allowed: /etc/passwd (refused)",
        ),
        (
            "get escape",
            "the path goes through a symbolic link, and this server follows none: escape (refused)",
        ),
        (
            "get up/secret.txt",
            "the path goes through a symbolic link, and this server follows none: up/secret.txt",
        ),
        (
            "get alias",
            "the path goes through a symbolic link, and this server follows none: alias (refused)",
        ),
        ("get pipe", "not a regular file: pipe (not-a-file)"),
        ("get sub", "not a regular file: sub (not-a-file)"),
        (
            "stat escape",
            "the path goes through a symbolic link, and this server follows none",
        ),
        ("ls ..", "`..` is not allowed in a path"),
        (
            "ls up",
            "the path goes through a symbolic link, and this server follows none",
        ),
    ];
    for (command, reply) in cases {
        client(&port, "framed", &world.down, &[], &format!("{command}\n"))
            .failure()
            .stderr(predicate::str::contains(reply))
            .stdout(predicate::str::contains("TOP SECRET").not());
    }
    let log = wait_for_log(
        &server,
        "get \"escape\": refused: the path goes through a symbolic link",
    );
    assert!(
        log.contains("get \"/etc/passwd\": refused: absolute paths are not allowed"),
        "{log}"
    );
    assert!(
        log.contains("get \"pipe\": refused: not a regular file"),
        "{log}"
    );
    assert!(!world.down.join("secret.txt").exists());
    assert!(!world.down.join("alias").exists());
}

#[test]
fn every_escape_is_refused_in_the_articles_protocol_too() {
    let world = hostile_world();
    let server = world.server("article");
    let port = server.port().unwrap();
    for (name, reply) in [
        (
            "../secret.txt",
            "error: `..` is not allowed in a path: ../secret.txt",
        ),
        (
            "/etc/passwd",
            "error: absolute paths are not allowed: /etc/passwd",
        ),
        (
            "escape",
            "error: the path goes through a symbolic link, and this server follows none: escape",
        ),
        ("pipe", "error: not a regular file: pipe"),
    ] {
        client(&port, "article", &world.down, &[], &format!("get {name}\n"))
            .failure()
            .stderr(predicate::str::contains(
                reply.trim_start_matches("error: "),
            ));
    }
    wait_for_log(&server, "get \"escape\": refused");
}

#[test]
fn put_cannot_write_outside_the_root() {
    let world = hostile_world();
    let server = world.server("framed");
    let mut conn = connect(&server);
    for name in ["../evil.txt", "/tmp/evil.txt", "up/evil.txt", "escape"] {
        ch4_ftp::framed::send_request(
            &mut conn,
            &ch4_ftp::framed::Request::Put {
                name: name.into(),
                size: 1,
                md5: md5_hex(b"x"),
            },
        )
        .unwrap();
        let payload = ch4_ftp::framed::read_frame(&mut conn, 1 << 20)
            .unwrap()
            .unwrap();
        let text = String::from_utf8(payload).unwrap();
        assert!(text.starts_with("error "), "{name}: {text}");
    }
    assert!(!world.tmp.path().join("evil.txt").exists());
    assert_eq!(
        fs::read(world.tmp.path().join("secret.txt")).unwrap(),
        b"TOP SECRET\n"
    );
}

/// `put` needs no password, so listening beyond this machine takes a
/// second flag, as in chapter 3.
#[test]
fn the_server_refuses_an_address_other_than_loopback_unless_told() {
    let world = World::new();
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_ftp-server"))
        .args(["--host", "0.0.0.0", "--port", "0", "--root"])
        .arg(&world.root)
        .timeout(BOUND)
        .assert()
        .failure()
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "error: refusing to listen on 0.0.0.0: anyone who can reach it could download every file",
        ))
        .stderr(predicate::str::contains("--allow-remote"));
}
