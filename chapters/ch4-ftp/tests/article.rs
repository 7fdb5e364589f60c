//! The article's protocol: byte for byte, interop with Python both ways,
//! and each of the article's bugs shown failing, then fixed.

use crate::common;

use std::fs;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use book_support::ServerProcess;
use book_support::check::again_if_interrupted;
use common::*;
use predicates::prelude::*;

#[test]
fn the_rust_server_speaks_the_article_protocol_byte_for_byte() {
    let world = World::new();
    let server = world.server("article");
    let mut conn = connect(&server);
    conn.write_all(b"get hello.txt").unwrap();
    let mut size = [0; 2];
    conn.read_exact(&mut size).unwrap();
    assert_eq!(&size, b"13", "the size in decimal, nothing else");
    conn.write_all(b"OK").unwrap();
    let mut rest = vec![0; 13 + 32];
    conn.read_exact(&mut rest).unwrap();
    assert_eq!(&rest[..13], b"hello, world\n");
    assert_eq!(
        String::from_utf8_lossy(&rest[13..]),
        md5_hex(b"hello, world\n")
    );
}

#[test]
fn the_rust_client_downloads_from_the_rust_article_server() {
    let world = World::new();
    let server = world.server("article");
    client(
        &server.port().unwrap(),
        "article",
        &world.down,
        &[],
        "get data.bin\nget with space.txt\n",
    )
    .success()
    .stdout(predicate::str::contains(
        "saved data.bin (300000 bytes, md5 verified)",
    ));
    assert_eq!(
        fs::read(world.down.join("data.bin")).unwrap(),
        sample(300_000)
    );
    assert_eq!(
        fs::read(world.down.join("with space.txt")).unwrap(),
        b"spaces are fine\n"
    );
}

/// Starts the article's Python server in `dir`.
fn python_server(python: &str, dir: &std::path::Path) -> ServerProcess {
    let mut cmd = Command::new(python);
    cmd.args([python_program("article_server.py").as_str(), "--port", "0"])
        .current_dir(dir);
    ServerProcess::spawn(cmd).unwrap()
}

#[test]
fn the_rust_client_downloads_from_the_articles_python_server() {
    let Some(python) = python3() else { return };
    let world = World::new();
    let server = python_server(python, &world.root);
    client(
        &server.port().unwrap(),
        "article",
        &world.down,
        &[],
        "get data.bin\nget hello.txt\n",
    )
    .success()
    .stdout(predicate::str::contains(
        "saved data.bin (300000 bytes, md5 verified)",
    ))
    .stdout(predicate::str::contains(
        "saved hello.txt (13 bytes, md5 verified)",
    ));
    assert_eq!(
        fs::read(world.down.join("data.bin")).unwrap(),
        sample(300_000)
    );
}

#[test]
fn the_articles_python_client_downloads_from_the_rust_server() {
    let Some(python) = python3() else { return };
    let world = World::new();
    let server = world.server("article");
    let out = Command::new(python)
        .args([
            python_program("article_client.py").as_str(),
            "--port",
            &server.port().unwrap(),
        ])
        .current_dir(&world.down)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"get data.bin\nget hello.txt\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.matches("md5 matches, transfer complete").count(),
        2,
        "{stdout}"
    );
    assert_eq!(
        fs::read(world.down.join("data.bin")).unwrap(),
        sample(300_000)
    );
}

/// Starts a Python client with `stdin` and returns it running.
fn python_client(
    python: &str,
    program: &str,
    port: &str,
    dir: &std::path::Path,
    stdin: &[u8],
) -> std::process::Child {
    let mut child = Command::new(python)
        .args([python_program(program).as_str(), "--port", port])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child
}

#[test]
fn bug_assign_instead_of_add_makes_the_articles_client_hang_and_adding_fixes_it() {
    let Some(python) = python3() else { return };
    let world = World::new();
    let server = world.server("article");
    let port = server.port().unwrap();

    // `received =+ len(data)`: the server sends everything, the client
    // swallows the digest and waits for more, forever.
    let mut buggy = python_client(
        python,
        "article_client_buggy.py",
        &port,
        &world.down,
        b"get data.bin\n",
    );
    wait_for_log(&server, "sent 300000 bytes");
    assert!(
        wait_timeout(&mut buggy, Duration::from_secs(3)).is_none(),
        "the buggy client should still be waiting after the server sent everything"
    );
    buggy.kill().unwrap();
    let _ = buggy.wait();

    // `received += len(data)`: done, digest verified.
    let mut fixed = python_client(
        python,
        "article_client.py",
        &port,
        &world.down,
        b"get data.bin\n",
    );
    let status = wait_timeout(&mut fixed, BOUND).expect("the fixed client finishes");
    let mut stdout = String::new();
    fixed
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(status.success());
    assert!(
        stdout.contains("md5 matches, transfer complete"),
        "{stdout}"
    );
}

#[test]
fn bug_missing_file_leaves_the_articles_client_waiting_forever() {
    let Some(python) = python3() else { return };
    let world = World::new();
    let server = python_server(python, &world.root);
    let mut child = python_client(
        python,
        "article_client.py",
        &server.port().unwrap(),
        &world.down,
        b"get nosuch.txt\n",
    );
    assert!(
        wait_timeout(&mut child, Duration::from_secs(3)).is_none(),
        "the article's server sends nothing for a missing file, so its client waits"
    );
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn the_rust_client_gives_up_on_a_silent_server_after_its_timeout() {
    let Some(python) = python3() else { return };
    let world = World::new();
    let server = python_server(python, &world.root);
    client(
        &server.port().unwrap(),
        "article",
        &world.down,
        &["--timeout", "2"],
        "get nosuch.txt\n",
    )
    .failure()
    .stderr(predicate::str::contains(
        "the server did not answer within 2 s",
    ));
    world.assert_kept_nothing("nosuch.txt");
}

#[test]
fn fixed_a_missing_file_gets_an_error_answer_from_the_rust_server() {
    let world = World::new();
    let server = world.server("article");
    let mut conn = connect(&server);
    conn.write_all(b"get nosuch.txt").unwrap();
    let mut buf = [0; 1024];
    let n = again_if_interrupted(|| conn.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"error: no such file: nosuch.txt");
    wait_for_log(&server, "refused: no such file");
    // The Rust client reports it and goes on with the next command.
    client(
        &server.port().unwrap(),
        "article",
        &world.down,
        &[],
        "get nosuch.txt\nget hello.txt\n",
    )
    .failure()
    .stderr(predicate::str::contains(
        "error: get nosuch.txt: the server says: no such file: nosuch.txt",
    ))
    .stderr(predicate::str::contains("1 of 2 commands failed"))
    .stdout(predicate::str::contains("saved hello.txt"));
}

#[test]
fn the_articles_client_stops_with_the_error_instead_of_waiting() {
    let Some(python) = python3() else { return };
    let world = World::new();
    let server = world.server("article");
    let mut child = python_client(
        python,
        "article_client.py",
        &server.port().unwrap(),
        &world.down,
        b"get nosuch.txt\n",
    );
    let status = wait_timeout(&mut child, BOUND).expect("the client stops");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("ValueError") && stderr.contains("error: no such file: nosuch.txt"),
        "{stderr}"
    );
}

#[test]
fn bug_a_malformed_command_kills_the_articles_server() {
    let Some(python) = python3() else { return };
    let world = World::new();
    for bad in [&b"get with space.txt"[..], b"get", b"hello there you"] {
        let server = python_server(python, &world.root);
        let mut conn = connect(&server);
        conn.write_all(bad).unwrap();
        let status = server.wait_for_exit(BOUND).expect("the server dies");
        assert!(!status.success());
        assert!(server.final_stderr().contains("ValueError"));
    }
}

#[test]
fn fixed_the_rust_server_answers_bad_commands_and_keeps_serving() {
    let world = World::new();
    let server = world.server("article");
    let mut conn = connect(&server);
    let cases: [(&[u8], &str); 4] = [
        (b"\n", "error: empty command"),
        (b"   ", "error: empty command"),
        (
            b"hello there you",
            "error: unknown command `hello` (try: get NAME)",
        ),
        (b"get", "error: usage: get NAME"),
    ];
    for (bad, answer) in cases {
        conn.write_all(bad).unwrap();
        let mut buf = [0; 1024];
        let n = again_if_interrupted(|| conn.read(&mut buf)).unwrap();
        assert_eq!(String::from_utf8_lossy(&buf[..n]), answer);
    }
    // A name with a space is a name, not a crash.
    conn.write_all(b"get with space.txt").unwrap();
    let mut buf = [0; 1024];
    let n = again_if_interrupted(|| conn.read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"16");
    assert!(server.try_status().is_none(), "still serving");
}

#[test]
fn a_megabyte_command_without_newline_gets_a_clear_error_and_the_server_goes_on() {
    let world = World::new();
    let server = world.server("article");
    let mut conn = connect(&server);
    // Sent from a thread: the server stops reading after 1024 bytes.
    let mut writer = conn.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(&vec![b'x'; 1 << 20]);
    });
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let _ = sender.join();
    assert!(String::from_utf8_lossy(&answer).starts_with("error: command longer than 1023 bytes"));
    wait_for_log(&server, "command of 1024 bytes or more");
    assert!(server.try_status().is_none());
    client(
        &server.port().unwrap(),
        "article",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success();
}

/// A fake article server that answers `header` to any command.
fn fake_article_server(header: &'static [u8], then: &'static [u8]) -> String {
    fake_server(move |mut s| {
        let mut buf = [0; 1024];
        let _ = again_if_interrupted(|| s.read(&mut buf));
        let _ = s.write_all(header);
        if !then.is_empty() {
            let _ = again_if_interrupted(|| s.read(&mut buf));
            let _ = s.write_all(then);
        }
    })
}

#[test]
fn the_rust_client_refuses_a_size_that_is_not_a_number_or_absurd() {
    let world = World::new();
    let cases: [(&'static [u8], &str); 4] = [
        (b"abc", "where a size in decimal digits belongs"),
        (b"-5", "where a size in decimal digits belongs"),
        (b"99999999999999999999999", "does not fit in 64 bits"),
        (
            b"1099511627777",
            "more than the 1099511627776 this client accepts",
        ),
    ];
    for (header, complaint) in cases {
        let port = fake_article_server(header, b"");
        client(&port, "article", &world.down, &[], "get x.bin\n")
            .failure()
            .stderr(predicate::str::contains(complaint));
        world.assert_kept_nothing("x.bin");
    }
}

#[test]
fn a_digest_mismatch_is_reported_and_saves_nothing() {
    let world = World::new();
    let port = fake_article_server(b"5", b"hello00000000000000000000000000000000");
    client(&port, "article", &world.down, &[], "get x.bin\n")
        .failure()
        .stderr(predicate::str::contains("md5 mismatch"));
    world.assert_kept_nothing("x.bin");
}

#[test]
fn the_digest_right_after_the_data_is_not_swallowed() {
    // Size, data and digest in as few packets as possible: the client must
    // still stop reading the file at exactly 5 bytes.
    let world = World::new();
    let digest = md5_hex(b"hello");
    let then: &'static [u8] = Box::leak(format!("hello{digest}").into_bytes().into_boxed_slice());
    let port = fake_article_server(b"5", then);
    client(&port, "article", &world.down, &[], "get x.bin\n").success();
    assert_eq!(fs::read(world.down.join("x.bin")).unwrap(), b"hello");
}
