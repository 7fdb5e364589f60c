//! The exercises' checkers: black-box, over real sockets.
//!
//! - `ch4-recv-exact`: blocks of bytes followed at once by their digest,
//!   several stuck together in one write; a program that reads one byte
//!   too many answers wrongly or not at all.
//! - `ch4-safe-path`: a folder with symlinks in and out, a file outside
//!   it, and the names that try to reach it.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;

use book_support::ServerProcess;
use book_support::check::wire::{Stop, why_it_ended};
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session, show_bytes};
use md5::{Digest, Md5};

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch4-recv-exact",
            run: check_recv_exact,
        },
        Checker {
            name: "ch4-safe-path",
            run: check_safe_path,
        },
    ]
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Connects to the program with bounded waits.
fn connect(server: &mut ServerProcess, what: &str) -> Result<BufReader<TcpStream>, Failure> {
    let stream = server
        .socket_addr()
        .map_err(|e| e.to_string())
        .and_then(|addr| TcpStream::connect(addr).map_err(|e| e.to_string()))
        .and_then(|s| {
            s.set_read_timeout(Some(ANSWER_TIMEOUT))
                .map_err(|e| e.to_string())?;
            s.set_write_timeout(Some(ANSWER_TIMEOUT))
                .map_err(|e| e.to_string())?;
            Ok(s)
        });
    match stream {
        Ok(s) => Ok(BufReader::new(s)),
        Err(e) => Err(Failure::new(what, "a TCP connection", e).with_program(server)),
    }
}

/// One line of the answer, or a description of what came instead.
fn answer_line(conn: &mut BufReader<TcpStream>, server: &ServerProcess) -> Result<String, String> {
    let mut line = String::new();
    let stop = match conn.read_line(&mut line) {
        Ok(0) => Stop::Ended,
        Ok(_) => return Ok(line.trim_end().to_string()),
        Err(e) => Stop::from_error(&e),
    };
    Err(match stop {
        Stop::Ended => format!("nothing: {}", why_it_ended(server)),
        Stop::Silent => format!("nothing within {ANSWER_TIMEOUT:?}"),
        Stop::Error(e) => format!("an error: {e}"),
    })
}

/// Bytes that look like nothing in particular.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn block(data: &[u8], digest: &str) -> Vec<u8> {
    let mut out = format!("{}\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(digest.as_bytes());
    out
}

// ANCHOR: check_recv_exact
fn check_recv_exact(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    let mut conn = connect(&mut server, "connecting to the program")?;
    let big = noise(1 << 20, 7);
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "5 bytes and their digest in one write",
            block(b"hello", &md5_hex(b"hello")),
            vec!["ok"],
        ),
        (
            "two blocks stuck together in one write (3 bytes, then 0 bytes)",
            [block(b"abc", &md5_hex(b"abc")), block(b"", &md5_hex(b""))].concat(),
            vec!["ok", "ok"],
        ),
        (
            "1 MiB and its digest",
            block(&big, &md5_hex(&big)),
            vec!["ok"],
        ),
        (
            "100 bytes with a wrong digest",
            block(&big[..100], &md5_hex(b"other")),
            vec!["mismatch"],
        ),
        (
            "a block whose digest is followed at once by the next block",
            [
                block(&big[..70_000], &md5_hex(&big[..70_000])),
                block(b"x", &md5_hex(b"x")),
            ]
            .concat(),
            vec!["ok", "ok"],
        ),
    ];
    for (what, bytes, answers) in cases {
        let expectation = format!("the answer to {what}");
        // A send that meets a closed connection is told by the answer
        // that does not come; a program that stops reading fails here.
        if let Err(e) = conn.get_mut().write_all(&bytes)
            && Stop::from_error(&e) != Stop::Ended
        {
            return Err(Failure::new(
                expectation,
                "the program to take the bytes we send",
                e.to_string(),
            )
            .with_program(&server));
        }
        for expected in answers {
            match answer_line(&mut conn, &server) {
                Ok(line) if line == expected => {}
                Ok(line) => {
                    return Err(Failure::new(
                        expectation,
                        format!("{expected:?}"),
                        format!("{line:?}"),
                    )
                    .with_note(
                        "a loop that reads past the block eats the digest that follows it",
                    ));
                }
                Err(got) => {
                    return Err(Failure::new(expectation, format!("{expected:?}"), got)
                        .with_program(&server));
                }
            }
        }
        session.pass(expectation);
    }
    Ok(())
}
// ANCHOR_END: check_recv_exact

// ANCHOR: check_safe_path
fn check_safe_path(session: &mut Session) -> Result<(), Failure> {
    session.require_path("the folder to serve", "--root {path}")?;
    let base = session.scratch_path("served");
    let root = base.join("root");
    let setup = || -> std::io::Result<()> {
        fs::create_dir_all(root.join("sub"))?;
        fs::write(root.join("hello.txt"), b"hello\n")?;
        fs::write(root.join("sub/inner.txt"), b"inner\n")?;
        fs::write(base.join("secret.txt"), b"TOP SECRET\n")?;
        symlink("hello.txt", root.join("alias"))?;
        symlink("../secret.txt", root.join("escape"))?;
        symlink(&base, root.join("up"))?;
        Ok(())
    };
    setup().map_err(|e| Failure::new("preparing a folder to serve", "no error", e.to_string()))?;
    let mut server = session.start(Some(&root))?;
    let mut conn = connect(&mut server, "connecting to the program")?;
    let secret = base.join("secret.txt").to_string_lossy().into_owned();
    let cases: Vec<(String, &str, Option<&[u8]>)> = vec![
        ("hello.txt".into(), "a file in the folder", Some(b"hello\n")),
        (
            "sub/inner.txt".into(),
            "a file in a subfolder",
            Some(b"inner\n"),
        ),
        (
            "alias".into(),
            "a symlink to a file inside",
            Some(b"hello\n"),
        ),
        ("nosuch.txt".into(), "a name that does not exist", None),
        (
            "../secret.txt".into(),
            "a `..` that leaves the folder",
            None,
        ),
        (
            "sub/../../secret.txt".into(),
            "a `..` deeper in the name",
            None,
        ),
        (secret, "an absolute path", None),
        ("escape".into(), "a symlink that points outside", None),
        (
            "up/secret.txt".into(),
            "a path through a symlinked folder outside",
            None,
        ),
        ("sub".into(), "a folder, not a file", None),
    ];
    for (name, what, content) in cases {
        let expected = match content {
            Some(bytes) => format!("ok {}", bytes.len()),
            None if name == "nosuch.txt" => "missing".into(),
            None => "refused".into(),
        };
        let expectation = format!("the answer to {what} ({name:?})");
        // A failed send is told by the answer that does not come.
        let _ = conn.get_mut().write_all(format!("{name}\n").as_bytes());
        let got = answer_line(&mut conn, &server);
        let line = match got {
            Ok(line) => line,
            Err(got) => {
                return Err(Failure::new(expectation, expected, got).with_program(&server));
            }
        };
        if line != expected {
            let mut got = format!("{line:?}");
            if line.starts_with("ok ") {
                got.push_str(" (the program served it)");
            }
            return Err(Failure::new(expectation, expected, got));
        }
        if let Some(bytes) = content {
            let mut body = vec![0; bytes.len()];
            if let Err(e) = conn.read_exact(&mut body) {
                return Err(Failure::new(expectation, "the file's bytes", e.to_string()));
            }
            if body != bytes {
                return Err(Failure::new(
                    expectation,
                    show_bytes(bytes),
                    show_bytes(&body),
                ));
            }
        }
        session.pass(expectation);
    }
    Ok(())
}
// ANCHOR_END: check_safe_path
