//! The server serves only what is under its root, and says so.

mod common;

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
fn resolving_follows_symlinks_and_refuses_the_ones_that_lead_out() {
    let world = hostile_world();
    let root = Root::new(&world.root).unwrap();
    assert_eq!(root.resolve("escape"), Err(Refusal::Outside));
    assert_eq!(root.resolve("up/secret.txt"), Err(Refusal::Outside));
    assert_eq!(root.resolve("alias").unwrap(), root.dir().join("hello.txt"));
    assert_eq!(root.open_file("pipe").err(), Some(Refusal::NotRegular));
    assert_eq!(root.open_file("sub").err(), Some(Refusal::NotRegular));
    assert_eq!(root.open_file("").err(), Some(Refusal::Empty));
    assert_eq!(root.new_file_path("../x").err(), Some(Refusal::ParentDir));
    assert_eq!(root.new_file_path("up/x").err(), Some(Refusal::Outside));
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
            "the path leads outside the served folder: escape (refused)",
        ),
        (
            "get up/secret.txt",
            "the path leads outside the served folder",
        ),
        ("get pipe", "not a regular file: pipe (not-a-file)"),
        ("get sub", "not a regular file: sub (not-a-file)"),
        ("stat escape", "the path leads outside the served folder"),
        ("ls ..", "`..` is not allowed in a path"),
        ("ls up", "the path leads outside the served folder"),
    ];
    for (command, reply) in cases {
        client(&port, "framed", &world.down, &[], &format!("{command}\n"))
            .failure()
            .stderr(predicate::str::contains(reply))
            .stdout(predicate::str::contains("TOP SECRET").not());
    }
    let log = wait_for_log(&server, "get \"escape\": refused: the path leads outside");
    assert!(
        log.contains("get \"/etc/passwd\": refused: absolute paths are not allowed"),
        "{log}"
    );
    assert!(
        log.contains("get \"pipe\": refused: not a regular file"),
        "{log}"
    );
    // A symlink that stays inside is fine.
    client(&port, "framed", &world.down, &[], "get alias\n").success();
    assert_eq!(
        fs::read(world.down.join("alias")).unwrap(),
        b"hello, world\n"
    );
    assert!(!world.down.join("secret.txt").exists());
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
            "error: the path leads outside the served folder: escape",
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
