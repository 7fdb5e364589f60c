//! The framed protocol: get, put, ls, stat, errors as replies, resume,
//! md5 end to end, and the client's rules for files on disk.

use crate::common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;

use ch4_ftp::digest::HashKind;
use ch4_ftp::framed::{MAX_REPLY, Reply, Request, read_frame, send_request, write_frame};
use common::*;
use predicates::prelude::*;

fn reply(conn: &mut TcpStream) -> Reply {
    let payload = read_frame(conn, MAX_REPLY).unwrap().expect("a reply");
    Reply::parse(&payload).unwrap()
}

#[test]
fn get_stat_ls_and_put_work_end_to_end() {
    let world = World::new();
    let server = world.server("framed");
    let port = server.port().unwrap();
    let upload = world.tmp.path().join("upload.bin");
    fs::write(&upload, sample(123_456)).unwrap();
    let commands = format!(
        "get data.bin\nget sub/inner.txt\nstat data.bin\nls\nls sub\nput {}\n",
        upload.display()
    );
    let digest = md5_hex(&sample(300_000));
    client(&port, "framed", &world.down, &[], &commands)
        .success()
        .stdout(predicate::str::contains(format!(
            "data.bin (300000 bytes, md5 {digest})"
        )))
        .stdout(predicate::str::contains(format!(
            "data.bin: 300000 bytes, md5 {digest}"
        )))
        .stdout(predicate::str::contains("d            - sub"))
        .stdout(predicate::str::contains("f           13 hello.txt"))
        .stdout(predicate::str::contains("f            6 inner.txt"))
        .stdout(predicate::str::contains(
            "uploaded upload.bin (123456 bytes",
        ));
    assert_eq!(
        fs::read(world.down.join("data.bin")).unwrap(),
        sample(300_000)
    );
    assert_eq!(fs::read(world.down.join("inner.txt")).unwrap(), b"inner\n");
    assert_eq!(
        fs::read(world.root.join("upload.bin")).unwrap(),
        sample(123_456)
    );
}

#[test]
fn errors_are_replies_and_the_connection_goes_on() {
    let world = World::new();
    let server = world.server("framed");
    let mut conn = connect(&server);
    let cases: [(&[u8], &str); 6] = [
        (b"", "error bad-request empty request"),
        (b"fetch x", "error bad-request unknown request `fetch`"),
        (
            b"get 0 nosuch.txt",
            "error not-found no such file: nosuch.txt",
        ),
        (b"get 0 sub", "error not-a-file not a regular file: sub"),
        (b"get x hello.txt", "error bad-request bad offset \"x\""),
        (
            b"get sha256 0 hello.txt",
            "error bad-request unknown digest \"sha256\" (md5, blake3)",
        ),
    ];
    for (request, answer) in cases {
        write_frame(&mut conn, request).unwrap();
        assert_eq!(reply(&mut conn).encode(), answer);
    }
    send_request(
        &mut conn,
        &Request::Stat {
            name: "hello.txt".into(),
        },
    )
    .unwrap();
    assert_eq!(
        reply(&mut conn),
        Reply::Stat {
            size: 13,
            md5: md5_hex(b"hello, world\n")
        }
    );
}

#[test]
fn an_oversized_request_gets_a_clear_error_and_the_server_goes_on() {
    let world = World::new();
    let server = world.server("framed");
    let mut conn = connect(&server);
    let mut writer = conn.try_clone().unwrap();
    let sender = thread::spawn(move || {
        let _ = writer.write_all(&vec![b'x'; 1 << 20]);
    });
    let answer = reply(&mut conn).encode();
    assert_eq!(
        answer,
        "error too-large a frame of 2021161080 bytes is over the limit of 65536 \
         (it starts with the text \"xxxx\": is this the article's protocol?)"
    );
    let mut rest = Vec::new();
    let _ = conn.read_to_end(&mut rest); // then the server closes
    let _ = sender.join();
    assert!(server.try_status().is_none());
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success();
}

#[test]
fn the_client_never_overwrites_without_force() {
    let world = World::new();
    let server = world.server("framed");
    let port = server.port().unwrap();
    fs::write(world.down.join("hello.txt"), b"mine").unwrap();
    client(&port, "framed", &world.down, &[], "get hello.txt\n")
        .failure()
        .stderr(predicate::str::contains(
            "hello.txt exists (use --force to overwrite it)",
        ));
    assert_eq!(fs::read(world.down.join("hello.txt")).unwrap(), b"mine");
    assert!(!world.down.join("hello.txt.part").exists());
    client(
        &port,
        "framed",
        &world.down,
        &["--force"],
        "get hello.txt\n",
    )
    .success();
    assert_eq!(
        fs::read(world.down.join("hello.txt")).unwrap(),
        b"hello, world\n"
    );
}

#[test]
fn put_never_overwrites_on_the_server() {
    let world = World::new();
    let server = world.server("framed");
    let local = world.tmp.path().join("hello.txt");
    fs::write(&local, b"replacement").unwrap();
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        &format!("put {}\n", local.display()),
    )
    .failure()
    .stderr(predicate::str::contains(
        "the file already exists: hello.txt (exists)",
    ));
    assert_eq!(
        fs::read(world.root.join("hello.txt")).unwrap(),
        b"hello, world\n"
    );
}

#[test]
fn an_interrupted_download_resumes_from_its_part_file() {
    let world = World::new();
    let server = world.server("framed");
    let data = sample(300_000);
    fs::write(world.down.join("data.bin.part"), &data[..100_000]).unwrap();
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get data.bin\n",
    )
    .success()
    .stdout(predicate::str::contains("resuming data.bin at byte 100000"));
    wait_for_log(&server, "sent 200000 bytes from 100000");
    assert_eq!(fs::read(world.down.join("data.bin")).unwrap(), data);
    assert!(!world.down.join("data.bin.part").exists());
}

#[test]
fn a_part_file_longer_than_the_file_restarts_from_zero() {
    let world = World::new();
    let server = world.server("framed");
    fs::write(world.down.join("hello.txt.part"), vec![b'z'; 100]).unwrap();
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success();
    assert_eq!(
        fs::read(world.down.join("hello.txt")).unwrap(),
        b"hello, world\n"
    );
}

/// A fake framed server: reads one request, answers `reply`, then `bytes`,
/// then closes.
fn fake_framed(reply: String, bytes: Vec<u8>) -> String {
    fake_server(move |mut s| {
        let _ = read_frame(&mut s, 1 << 16);
        let _ = write_frame(&mut s, reply.as_bytes());
        let _ = s.write_all(&bytes);
    })
}

#[test]
fn a_server_that_vanishes_mid_transfer_leaves_only_the_part_file_then_resume_finishes() {
    let world = World::new();
    let data = sample(300_000);
    let port = fake_framed(
        format!("file 300000 0 {}", md5_hex(&data)),
        data[..123_000].to_vec(),
    );
    client(&port, "framed", &world.down, &[], "get data.bin\n")
        .failure()
        .stderr(predicate::str::contains("the transfer broke off"))
        .stderr(predicate::str::contains(
            "connection closed after 123000 of 300000 bytes",
        ));
    assert!(
        !world.down.join("data.bin").exists(),
        "never under the final name"
    );
    assert_eq!(
        fs::read(world.down.join("data.bin.part")).unwrap(),
        &data[..123_000]
    );

    let server = world.server("framed");
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get data.bin\n",
    )
    .success()
    .stdout(predicate::str::contains("resuming data.bin at byte 123000"));
    assert_eq!(fs::read(world.down.join("data.bin")).unwrap(), data);
}

#[test]
fn a_digest_mismatch_is_reported_and_saves_nothing() {
    let world = World::new();
    let port = fake_framed(format!("file 5 0 {}", md5_hex(b"other")), b"hello".to_vec());
    client(&port, "framed", &world.down, &[], "get x.bin\n")
        .failure()
        .stderr(predicate::str::contains("md5 mismatch"));
    world.assert_kept_nothing("x.bin");
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// The framed client's `get NAME` with `--hash blake3`, from the server on
/// `port`, into the world's client folder.
fn blake3_get(port: &str, world: &World, name: &str) -> assert_cmd::assert::Assert {
    let hash = ["--hash", "blake3"];
    client(port, "framed", &world.down, &hash, &format!("get {name}\n"))
}

#[test]
fn a_blake3_download_is_checked_with_blake3_and_resumes() {
    let world = World::new();
    let server = world.server("framed");
    // On the wire: `get blake3 OFFSET NAME` gets the 64-digit digest.
    let mut conn = connect(&server);
    write_frame(&mut conn, b"get blake3 0 hello.txt").unwrap();
    let expected = format!("file 13 0 {}", blake3_hex(b"hello, world\n"));
    assert_eq!(reply(&mut conn).encode(), expected);
    // The client, resuming a part file: the kept prefix is hashed too.
    let data = sample(300_000);
    fs::write(world.down.join("data.bin.part"), &data[..100_000]).unwrap();
    let port = server.port().unwrap();
    blake3_get(&port, &world, "data.bin")
        .success()
        .stdout(predicate::str::contains("resuming data.bin at byte 100000"))
        .stdout(predicate::str::contains(format!(
            "data.bin (300000 bytes, blake3 {})",
            blake3_hex(&data)
        )));
    assert_eq!(fs::read(world.down.join("data.bin")).unwrap(), data);
}

#[test]
fn a_blake3_download_cut_short_keeps_every_byte_that_came() {
    // With BLAKE3 the hashing thread writes the file, not the receiving
    // one: a server that vanishes must still leave every byte it sent.
    let world = World::new();
    let data = sample(300_000);
    let port = fake_framed(
        format!("file 300000 0 {}", blake3_hex(&data)),
        data[..123_000].to_vec(),
    );
    blake3_get(&port, &world, "data.bin")
        .failure()
        .stderr(predicate::str::contains(
            "connection closed after 123000 of 300000 bytes",
        ));
    assert!(
        !world.down.join("data.bin").exists(),
        "never under the final name"
    );
    assert_eq!(
        fs::read(world.down.join("data.bin.part")).unwrap(),
        &data[..123_000]
    );
}

#[test]
fn a_blake3_mismatch_is_reported_and_saves_nothing() {
    let world = World::new();
    let port = fake_framed(
        format!("file 5 0 {}", blake3_hex(b"other")),
        b"hello".to_vec(),
    );
    blake3_get(&port, &world, "x.bin")
        .failure()
        .stderr(predicate::str::contains("blake3 mismatch"));
    world.assert_kept_nothing("x.bin");
}

#[test]
fn a_digest_of_the_wrong_kind_is_refused_before_any_byte_is_kept() {
    // Asked for blake3, a confused server answers with an md5 digest.
    let world = World::new();
    let port = fake_framed(format!("file 5 0 {}", md5_hex(b"hello")), b"hello".to_vec());
    blake3_get(&port, &world, "x.bin")
        .failure()
        .stderr(predicate::str::contains(
            "asked for a blake3 digest, the server sent",
        ));
    world.assert_kept_nothing("x.bin");
}

#[test]
fn the_articles_protocol_has_no_blake3() {
    let world = World::new();
    let hash = ["--hash", "blake3"];
    client("9", "article", &world.down, &hash, "get x.bin\n")
        .failure()
        .stderr(predicate::str::contains("checks downloads with md5 only"));
}

#[test]
fn a_size_that_is_not_a_number_or_absurd_is_refused() {
    let world = World::new();
    let digest = md5_hex(b"");
    let cases = [
        (format!("file abc 0 {digest}"), "\"abc\" is not a number"),
        (
            format!("file 99999999999999999999 0 {digest}"),
            "is not a number",
        ),
        (format!("file 99999999999999 0 {digest}"), "not believable"),
        (format!("file 10 20 {digest}"), "not believable"),
    ];
    for (reply, complaint) in cases {
        let port = fake_framed(reply, Vec::new());
        client(&port, "framed", &world.down, &[], "get x.bin\n")
            .failure()
            .stderr(predicate::str::contains(complaint));
        assert!(!world.down.join("x.bin").exists());
    }
}

#[test]
fn a_stalled_client_does_not_hold_up_the_others() {
    let world = World::new();
    let server = world.server("framed");
    // Connected, silent: the article's one-client-at-a-time server would
    // serve nobody else until it leaves.
    let _idle = connect(&server);
    let port = server.port().unwrap();
    let clients: Vec<_> = (0..6)
        .map(|i| {
            let port = port.clone();
            let dir = world.down.join(format!("c{i}"));
            fs::create_dir_all(&dir).unwrap();
            thread::spawn(move || {
                client(&port, "framed", &dir, &[], "get data.bin\n").success();
                fs::read(dir.join("data.bin")).unwrap()
            })
        })
        .collect();
    for c in clients {
        assert_eq!(c.join().unwrap(), sample(300_000));
    }
}

#[test]
fn a_client_that_vanishes_mid_transfer_leaks_nothing_and_others_are_served() {
    let world = World::new();
    fs::write(world.root.join("big.bin"), vec![7u8; 32 << 20]).unwrap();
    let server = world.server("framed");
    let pid = server.pid();
    let (fds_before, threads_before) = (fd_count(pid), thread_count(pid));
    for _ in 0..5 {
        let mut conn = connect(&server);
        send_request(
            &mut conn,
            &Request::Get {
                name: "big.bin".into(),
                offset: 0,
                hash: HashKind::Md5,
            },
        )
        .unwrap();
        let mut some = vec![0; 64 * 1024];
        conn.read_exact(&mut some).unwrap();
        drop(conn); // gone, with megabytes still to come
    }
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success();
    let log = wait_for_log(&server, "dropped:");
    assert!(
        eventually(BOUND, || fd_count(pid) == fds_before
            && thread_count(pid) == threads_before),
        "fds {} (before {fds_before}), threads {} (before {threads_before}); log:\n{log}",
        fd_count(pid),
        thread_count(pid)
    );
}

#[test]
fn put_with_a_wrong_digest_is_refused_and_leaves_nothing() {
    let world = World::new();
    let server = world.server("framed");
    let mut conn = connect(&server);
    send_request(
        &mut conn,
        &Request::Put {
            name: "new.txt".into(),
            size: 5,
            md5: md5_hex(b"other"),
        },
    )
    .unwrap();
    assert_eq!(reply(&mut conn), Reply::Ready);
    conn.write_all(b"hello").unwrap();
    assert!(reply(&mut conn).encode().starts_with("error bad-digest"));
    let names: Vec<_> = fs::read_dir(&world.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        !names.iter().any(|n| n.to_string_lossy().contains("new.txt")
            || n.to_string_lossy().starts_with(".upload")),
        "{names:?}"
    );
}

#[test]
fn the_client_draws_no_progress_bar_when_not_on_a_terminal() {
    let world = World::new();
    let server = world.server("framed");
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get data.bin\n",
    )
    .success()
    .stderr(predicate::str::is_empty());
}

/// A part file that is a symlink, planted by another user of a shared
/// folder: following it would overwrite the file it points to, and publish
/// the download as a symlink. The client refuses, and touches neither.
#[test]
fn a_planted_symlink_as_part_file_is_refused_and_followed_nowhere() {
    let world = World::new();
    let server = world.server("framed");
    let victim = world.tmp.path().join("victim.txt");
    fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, world.down.join("hello.txt.part")).unwrap();
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .failure()
    .stderr(predicate::str::contains(
        "hello.txt.part is a symbolic link: refusing to write to it",
    ));
    assert_eq!(fs::read(&victim).unwrap(), b"precious");
    assert!(!world.down.join("hello.txt").exists());
    assert!(
        world
            .down
            .join("hello.txt.part")
            .symlink_metadata()
            .unwrap()
            .file_type()
            .is_symlink(),
        "the planted link is left as it was"
    );
}

/// The same for a part file that is not a file at all (a FIFO would block
/// a reader forever).
#[test]
fn a_part_file_that_is_a_fifo_is_refused() {
    let world = World::new();
    let server = world.server("framed");
    let fifo = world.down.join("hello.txt.part");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .failure()
    .stderr(predicate::str::contains(
        "hello.txt.part is not a regular file",
    ));
    assert!(!world.down.join("hello.txt").exists());
}

/// A name with a newline would forge a line in every listing and log that
/// prints it; one with an escape would drive the reader's terminal. `put`
/// refuses to create such a name.
#[test]
fn put_refuses_a_name_with_a_control_character() {
    let world = World::new();
    let server = world.server("framed");
    for name in [
        "evil\nd            - forged",
        "\u{1b}[31mred.txt",
        "tab\there",
    ] {
        let mut conn = connect(&server);
        send_request(
            &mut conn,
            &Request::Put {
                name: name.into(),
                size: 5,
                md5: md5_hex(b"hello"),
            },
        )
        .unwrap();
        match reply(&mut conn) {
            Reply::Error { code, message } => {
                assert_eq!(code, "refused");
                assert!(message.contains("control character"), "{message}");
            }
            other => panic!("{name:?} was not refused: {:?}", other.encode()),
        }
        assert!(!world.root.join(name).exists());
    }
}

/// Names that are already on the server (made by other means) cannot forge
/// a line: one with a line break is left out of the listing (one line per
/// entry cannot carry it), and other control characters reach the client's
/// terminal escaped.
#[test]
fn ls_prints_hostile_names_escaped() {
    let world = World::new();
    fs::write(world.root.join("a\nf            5 forged"), b"x").unwrap();
    fs::write(world.root.join("\u{1b}[31mred"), b"x").unwrap();
    let server = world.server("framed");
    let out = client(&server.port().unwrap(), "framed", &world.down, &[], "ls\n")
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(
        !out.contains('\u{1b}'),
        "a raw escape reached the terminal: {out:?}"
    );
    assert!(
        !out.lines().any(|l| l.starts_with("f            5 forged")),
        "a forged line: {out}"
    );
    assert!(!out.contains("forged"), "{out}");
    assert!(out.contains(r#""\u{1b}[31mred""#), "{out}");
}

/// An upload being received has no name yet: it cannot be listed or
/// fetched half-done, under its name or any other.
#[test]
fn an_upload_in_progress_is_neither_listed_nor_served() {
    let world = World::new();
    let server = world.server("framed");
    let mut uploader = connect(&server);
    let data = sample(10_000);
    send_request(
        &mut uploader,
        &Request::Put {
            name: "new.bin".into(),
            size: data.len() as u64,
            md5: md5_hex(&data),
        },
    )
    .unwrap();
    assert_eq!(reply(&mut uploader), Reply::Ready);
    uploader.write_all(&data[..5_000]).unwrap();
    // A temporary name some other server would use, planted by hand.
    fs::write(world.root.join(".upload-planted"), b"half").unwrap();
    let mut other = connect(&server);
    send_request(&mut other, &Request::Ls { dir: String::new() }).unwrap();
    let Reply::List(entries) = reply(&mut other) else {
        panic!("no listing")
    };
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        ["data.bin", "hello.txt", "sub", "with space.txt"],
        "half an upload is visible"
    );
    for name in ["new.bin", ".upload-planted"] {
        let get = Request::Get {
            name: name.into(),
            offset: 0,
            hash: HashKind::Md5,
        };
        send_request(&mut other, &get).unwrap();
        let got = reply(&mut other).encode();
        assert!(got.starts_with("error not-found"), "{name}: {got}");
    }
    uploader.write_all(&data[5_000..]).unwrap();
    assert!(matches!(reply(&mut uploader), Reply::Done { .. }));
    assert_eq!(fs::read(world.root.join("new.bin")).unwrap(), data);
}

/// The server remembers digests, but a file rewritten at the same size,
/// with its modification time set back, is not mistaken for the old one:
/// its change time (ctime) moved, and nobody can set that back.
#[test]
fn a_file_rewritten_with_its_mtime_restored_gets_a_fresh_md5() {
    let world = World::new();
    let server = world.server("framed");
    let path = world.root.join("hello.txt");
    let mut conn = connect(&server);
    let stat = |conn: &mut TcpStream| {
        let request = Request::Stat {
            name: "hello.txt".into(),
        };
        send_request(conn, &request).unwrap();
        match reply(conn) {
            Reply::Stat { md5, .. } => md5,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(stat(&mut conn), md5_hex(b"hello, world\n"));
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    // A file system's clock may tick coarsely (every few milliseconds):
    // wait until it has moved past the file's ctime, as it has between
    // any two edits a person makes.
    let ctime = |p: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(p).unwrap();
        (meta.ctime(), meta.ctime_nsec())
    };
    let probe = world.tmp.path().join("clock");
    assert!(eventually(BOUND, || {
        fs::write(&probe, b"tick").unwrap();
        ctime(&probe) > ctime(&path)
    }));
    fs::write(&path, b"HELLO, WORLD\n").unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    assert_eq!(stat(&mut conn), md5_hex(b"HELLO, WORLD\n"));
}
