//! The exercises' checkers: black-box, over real sockets.
//!
//! - `ch4-file-md5`: a folder with a small file, an empty one, one of a
//!   few reads and a 24 MiB one; the checker compares each answer with the
//!   md5 it computed, and watches the program's peak memory (`VmHWM` in
//!   `/proc/PID/status`) while it hashes the big one.
//! - `ch4-safe-path`: a folder with symlinks in and out, a file outside
//!   it, and the names that try to reach it.
//! - `ch4-resume-server`: `get OFFSET NAME` in the framed protocol at
//!   the start, the middle, the end and past the end of a file, two
//!   errors on the same connection, and a second client.
//! - `ch4-ftp-client`: the checker plays the chapter's server in the
//!   course's protocol, on a port of its own, and starts the program as a
//!   client with that port for `{port}` and a fresh folder for `{path}`;
//!   it serves good files, a file whose md5 does not match, a missing
//!   file and a transfer cut short, and looks at what lands in the folder.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::fs::{FileExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use book_support::ServerProcess;
use book_support::check::client::{ClientRun, run_client};
use book_support::check::wire::{ANSWER_LIMIT, Stop, Wire, read_up_to, why_it_ended};
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session, show_bytes};
use book_support::observe::status_kib;
use md5::{Digest, Md5};

/// Every checker of this chapter.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch4-file-md5",
            run: check_file_md5,
        },
        Checker {
            name: "ch4-safe-path",
            run: check_safe_path,
        },
        Checker {
            name: "ch4-ftp-client",
            run: check_ftp_client,
        },
        Checker {
            name: "ch4-resume-server",
            run: check_resume_server,
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

// ---------------------------------------------------------------------
// ch4-file-md5: the checker asks `stat NAME` for files it made.
// ---------------------------------------------------------------------

/// The big file's size: more than any buffer a program should use, and
/// still hashed within a second or two by a debug build.
const BIG_FILE: u64 = 24 << 20;

/// The most the program's peak memory may grow while it hashes the big
/// file: half of it. A program that holds the file grows by all of it.
const BIG_FILE_GROWTH: u64 = BIG_FILE / 2;

/// One line of the program's answer, without its newline, or how it
/// failed `step`, which `expected` a line. A first byte may take up to
/// `limit` (hashing a big file takes a while); after it, the usual bounded
/// waits.
fn wire_line(
    wire: &mut Wire<'_>,
    step: &str,
    expected: &str,
    limit: Duration,
) -> Result<String, Failure> {
    let start = Instant::now();
    let mut line = Vec::new();
    loop {
        let got = wire.receive(1);
        match (got.bytes.first(), &got.stop) {
            (Some(b'\n'), _) => return Ok(String::from_utf8_lossy(&line).into_owned()),
            (Some(&byte), _) if line.len() < 4096 => line.push(byte),
            (Some(_), _) => {
                return Err(wire.fail(step, expected, "4096 bytes and no newline"));
            }
            (None, Some(Stop::Silent)) if line.is_empty() && start.elapsed() < limit => {}
            (None, _) => {
                let mut described = wire.describe_count(&got, 1);
                if !line.is_empty() {
                    described = format!("{} and no newline: {described}", show_bytes(&line));
                }
                return Err(wire.fail(step, expected, described));
            }
        }
    }
}

/// The program's peak memory so far (`VmHWM`), in KiB; `None` where
/// `/proc` cannot tell.
fn peak_kib(server: &ServerProcess) -> Option<u64> {
    status_kib(server.pid(), "VmHWM")
}

/// The md5 of a file on disk, read back in chunks.
fn md5_of_file(path: &Path) -> std::io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
    }
    Ok(md5.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// A file of [`BIG_FILE`] bytes, mostly a hole (zeros that take no disk),
/// with noise at its start, in its middle and at its end: a program must
/// read every part of it to get its md5.
fn make_big_file(path: &Path) -> std::io::Result<()> {
    let file = fs::File::create(path)?;
    file.set_len(BIG_FILE)?;
    let patch = noise(100_000, 11);
    for at in [0, BIG_FILE / 2 + 12_345, BIG_FILE - patch.len() as u64] {
        file.write_all_at(&patch, at)?;
    }
    Ok(())
}

// ANCHOR: check_file_md5
fn check_file_md5(session: &mut Session) -> Result<(), Failure> {
    session.require_path("the folder to serve", "--root {path}")?;
    let root = session.scratch_path("served");
    let chunks = noise(200_003, 5);
    let setup = || -> std::io::Result<String> {
        fs::create_dir_all(&root)?;
        fs::write(root.join("hello.txt"), b"hello\n")?;
        fs::write(root.join("empty.txt"), b"")?;
        fs::write(root.join("chunks.bin"), &chunks)?;
        make_big_file(&root.join("big.bin"))?;
        md5_of_file(&root.join("big.bin"))
    };
    let big_md5 = setup()
        .map_err(|e| Failure::new("preparing a folder to serve", "no error", e.to_string()))?;
    let server = session.start(Some(&root))?;
    let mut wire = Wire::new(&server);
    let cases: [(&str, &str, &[u8]); 3] = [
        ("hello.txt", "a small file", b"hello\n"),
        ("empty.txt", "an empty file", b""),
        (
            "chunks.bin",
            "a file of 200003 bytes, more than one read",
            &chunks,
        ),
    ];
    for (name, what, bytes) in cases {
        let step = format!("stat {name}: {what}");
        let expected = format!("stat {} {}", bytes.len(), md5_hex(bytes));
        wire.send(&step, format!("stat {name}\n").as_bytes())?;
        let line = wire_line(&mut wire, &step, &expected, ANSWER_TIMEOUT)?;
        judge_stat_line(&step, &expected, &line)?;
        session.pass(step);
    }

    let step = "stat nosuch.txt: a name that does not exist gets a line `error ...`";
    wire.send(step, b"stat nosuch.txt\n")?;
    let expected = "a line that starts with \"error \"";
    let line = wire_line(&mut wire, step, expected, ANSWER_TIMEOUT)?;
    if !line.starts_with("error ") {
        return Err(Failure::new(step, expected, format!("{line:?}")));
    }
    session.pass(step);

    let step = format!(
        "stat big.bin: a file of {} MiB, mostly zeros, with bytes at its start, middle and end",
        BIG_FILE >> 20
    );
    let expected = format!("stat {BIG_FILE} {big_md5}");
    let before = peak_kib(&server);
    wire.send(&step, b"stat big.bin\n")?;
    let line = wire_line(&mut wire, &step, &expected, ANSWER_LIMIT)?;
    let after = peak_kib(&server);
    judge_stat_line(&step, &expected, &line)?;
    session.pass(step);

    // Where /proc cannot tell, the memory is not judged.
    if let (Some(before), Some(after)) = (before, after) {
        let step = format!(
            "while it hashed big.bin, the program's peak memory grew by less than {} MiB",
            BIG_FILE_GROWTH >> 20
        );
        let grown = after.saturating_sub(before) * 1024;
        if grown >= BIG_FILE_GROWTH {
            return Err(Failure::new(
                step,
                format!("less than {} MiB more", BIG_FILE_GROWTH >> 20),
                format!(
                    "{} MiB more (its peak went from {} MiB to {} MiB)",
                    grown >> 20,
                    before >> 10,
                    after >> 10
                ),
            )
            .with_note("the whole file was in memory at once: read and hash a chunk at a time, reusing one buffer (`fs::read`, `read_to_end`, Python's `f.read()` and mapping the file all hold it whole)"));
        }
        session.pass(step);
    }
    Ok(())
}
// ANCHOR_END: check_file_md5

/// The answer to `stat NAME` is `expected`, or `step` fails with a hint at
/// what went wrong.
fn judge_stat_line(step: &str, expected: &str, line: &str) -> Result<(), Failure> {
    if line == expected {
        return Ok(());
    }
    let failure = Failure::new(step, expected, format!("{line:?}"));
    let want: Vec<&str> = expected.split(' ').collect();
    let got: Vec<&str> = line.split(' ').collect();
    let note = match got.as_slice() {
        ["stat", _, digest] if *digest != want[2] && digest.to_ascii_lowercase() == want[2] => {
            "the right digest in capitals: write each byte as two lowercase hex digits, `{b:02x}`"
        }
        ["stat", size, _] if *size != want[1] => {
            "the size is the number of bytes read, up to the read that returns 0"
        }
        ["stat", _, _] => {
            "the md5 of every byte of the file, in order: feed each read's `n` bytes (`&buf[..n]`, not the whole buffer), and go on until a read returns 0"
        }
        _ => "the answer is one line: `stat`, the size, the md5",
    };
    Err(failure.with_note(note))
}

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

// ---------------------------------------------------------------------
// ch4-ftp-client: the checker plays the chapter's server.
// ---------------------------------------------------------------------

/// How the checker's server sends a file.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sending {
    /// The bytes and then the digest, in one write.
    Whole,
    /// 1000 bytes, then the connection closes.
    CutShort,
}

/// The server's side of `get NAME` in the course's protocol: expects the
/// command, announces the size, expects "OK", sends the bytes and at once
/// `digest` (which the client must keep apart).
fn serve_get(
    stream: &mut TcpStream,
    step: &str,
    name: &str,
    data: &[u8],
    digest: &str,
    sending: Sending,
) -> Result<(), Failure> {
    expect_command(stream, step, name)?;
    let _ = stream.write_all(data.len().to_string().as_bytes());
    let ack = read_up_to(stream, 2);
    if ack.bytes != b"OK" {
        let got = if ack.bytes.is_empty() {
            "nothing".to_string()
        } else {
            show_bytes(&ack.bytes)
        };
        return Err(Failure::new(step, "b'OK' after the size", got).with_note(
            "the command goes without a newline; after the size the client answers \"OK\"",
        ));
    }
    match sending {
        Sending::Whole => {
            let _ = stream.write_all(&[data, digest.as_bytes()].concat());
        }
        Sending::CutShort => {
            let _ = stream.write_all(&data[..data.len().min(1000)]);
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

/// Expects the command `get NAME`, exactly.
fn expect_command(stream: &mut TcpStream, step: &str, name: &str) -> Result<(), Failure> {
    let command = format!("get {name}");
    let got = read_up_to(stream, command.len());
    if got.bytes == command.as_bytes() {
        return Ok(());
    }
    let mut described = if got.bytes.is_empty() {
        "nothing".to_string()
    } else {
        show_bytes(&got.bytes)
    };
    match got.stop {
        Some(Stop::Ended) => described.push_str(" (then the connection ended)"),
        Some(Stop::Silent) => {
            described.push_str(&format!(" (then nothing within {ANSWER_TIMEOUT:?})"));
        }
        _ => {}
    }
    Err(Failure::new(
        step,
        format!("the command {}", show_bytes(command.as_bytes())),
        described,
    ))
}

/// The server's refusal of `get NAME`: a line that starts with `error: `
/// where the size belongs, as the chapter's server answers.
fn refuse_get(stream: &mut TcpStream, step: &str, name: &str) -> Result<(), Failure> {
    expect_command(stream, step, name)?;
    let _ = stream.write_all(format!("error: no such file: {name}").as_bytes());
    Ok(())
}

/// After the last command, the client closes the connection.
fn expect_hang_up(stream: &mut TcpStream, step: &str) -> Result<(), Failure> {
    let got = read_up_to(stream, 1);
    let described = match got.stop {
        Some(Stop::Ended) if got.bytes.is_empty() => return Ok(()),
        _ if !got.bytes.is_empty() => format!("more bytes: {}", show_bytes(&got.bytes)),
        _ => format!("the connection still open after {ANSWER_TIMEOUT:?}"),
    };
    Err(Failure::new(
        step,
        "the connection closed at the end of the input",
        described,
    ))
}

/// The client printed these lines on stdout. A line `error NAME` stands
/// for `error NAME: ` and any reason.
fn said(run: &ClientRun, step: &str, expected: &[&str]) -> Result<(), Failure> {
    run.served.clone()?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    let got: Vec<&str> = stdout.lines().collect();
    let fits = got.len() == expected.len()
        && got.iter().zip(expected).all(|(line, want)| {
            line == want || (want.starts_with("error ") && line.starts_with(&format!("{want}: ")))
        });
    if fits {
        return Ok(());
    }
    let shown = |lines: &[&str]| {
        if lines.is_empty() {
            "nothing".to_string()
        } else {
            lines
                .iter()
                .map(|l| format!("{l:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    Err(run.fail(step, format!("the lines {}", shown(expected)), shown(&got)))
}

/// The folder holds `name` with exactly `content`, or no `name` at all.
fn holds(
    run: &ClientRun,
    step: &str,
    dir: &Path,
    name: &str,
    content: Option<&[u8]>,
) -> Result<(), Failure> {
    let path = dir.join(name);
    let found = fs::read(&path).ok();
    match (content, found) {
        (Some(want), Some(got)) if got == want => Ok(()),
        (Some(want), Some(got)) => Err(run.fail(
            step,
            format!("{name} with the {} bytes sent", want.len()),
            format!("{name} with {} bytes: {}", got.len(), show_bytes(&got)),
        )),
        (Some(want), None) => Err(run.fail(
            step,
            format!("{name} with the {} bytes sent", want.len()),
            format!("no file {name} in the folder"),
        )),
        (None, None) => Ok(()),
        (None, Some(got)) => Err(run.fail(
            step,
            format!("no file {name} in the folder"),
            format!("{name}, {} bytes", got.len()),
        )
        .with_note("a file whose md5 did not match, or that did not come whole, must not be left under its name: write to another name, rename only when the md5 matches")),
    }
}

/// A fresh empty folder in the session's scratch space.
fn fresh_dir(session: &Session, name: &str) -> Result<PathBuf, Failure> {
    let dir = session.scratch_path(name);
    fs::create_dir_all(&dir).map_err(|e| {
        Failure::new(
            "preparing a folder to download into",
            "no error",
            e.to_string(),
        )
    })?;
    Ok(dir)
}

/// The client ran to the end of its input and exited with status 0.
fn ended_well(run: &ClientRun, step: &str) -> Result<(), Failure> {
    match run.status {
        Some(status) if status.success() => Ok(()),
        _ => Err(run.fail(step, "exit status 0 at the end of the input", run.ending())),
    }
}

// ANCHOR: check_ftp_client
fn check_ftp_client(session: &mut Session) -> Result<(), Failure> {
    session.require_path("the folder to download into", "--dir {path}")?;
    let hello = b"hello\n".to_vec();
    let big = noise((1 << 20) + 3, 7);

    let what =
        "two files, each followed at once by its md5: \"ok NAME\", and each file under its name";
    let dir = fresh_dir(session, "two")?;
    let run = run_client(
        session,
        Some(&dir),
        b"get hello.txt\nget big.bin\n",
        |mut s| {
            serve_get(
                &mut s,
                what,
                "hello.txt",
                &hello,
                &md5_hex(&hello),
                Sending::Whole,
            )?;
            serve_get(
                &mut s,
                what,
                "big.bin",
                &big,
                &md5_hex(&big),
                Sending::Whole,
            )?;
            expect_hang_up(&mut s, what)
        },
    )?;
    said(&run, what, &["ok hello.txt", "ok big.bin"])?;
    holds(&run, what, &dir, "hello.txt", Some(&hello))?;
    holds(&run, what, &dir, "big.bin", Some(&big))?;
    ended_well(&run, what)?;
    session.pass(what);

    let what =
        "a file whose md5 does not match: \"mismatch bad.bin\", and no bad.bin in the folder";
    let dir = fresh_dir(session, "mismatch")?;
    let run = run_client(session, Some(&dir), b"get bad.bin\n", |mut s| {
        let data = &big[..70_000];
        serve_get(
            &mut s,
            what,
            "bad.bin",
            data,
            &md5_hex(b"other"),
            Sending::Whole,
        )?;
        expect_hang_up(&mut s, what)
    })?;
    said(&run, what, &["mismatch bad.bin"])?;
    holds(&run, what, &dir, "bad.bin", None)?;
    ended_well(&run, what)?;
    session.pass(what);

    let what = "a refused file (\"error: ...\" where the size belongs): \"error nosuch.txt: ...\", then the next file comes";
    let dir = fresh_dir(session, "refused")?;
    let run = run_client(
        session,
        Some(&dir),
        b"get nosuch.txt\nget hello.txt\n",
        |mut s| {
            refuse_get(&mut s, what, "nosuch.txt")?;
            serve_get(
                &mut s,
                what,
                "hello.txt",
                &hello,
                &md5_hex(&hello),
                Sending::Whole,
            )?;
            expect_hang_up(&mut s, what)
        },
    )?;
    said(&run, what, &["error nosuch.txt", "ok hello.txt"])?;
    holds(&run, what, &dir, "nosuch.txt", None)?;
    holds(&run, what, &dir, "hello.txt", Some(&hello))?;
    ended_well(&run, what)?;
    session.pass(what);

    let what = "a server that closes after 1000 of 100000 bytes: \"error cut.bin: ...\", no cut.bin, and the client ends";
    let dir = fresh_dir(session, "cut")?;
    let run = run_client(session, Some(&dir), b"get cut.bin\n", |mut s| {
        serve_get(
            &mut s,
            what,
            "cut.bin",
            &big[..100_000],
            "",
            Sending::CutShort,
        )
    })?;
    if run.status.is_none() {
        return Err(run.fail(what, "the client to end", run.ending()).with_note(
            "a read that returns 0 bytes means the server has gone: looping on it never ends",
        ));
    }
    said(&run, what, &["error cut.bin"])?;
    holds(&run, what, &dir, "cut.bin", None)?;
    session.pass(what);
    Ok(())
}
// ANCHOR_END: check_ftp_client

// ---------------------------------------------------------------------
// ch4-resume-server: `get OFFSET NAME` in the framed protocol.
// ---------------------------------------------------------------------

/// The largest reply frame the checker reads: a `file` or `error` reply
/// is a line.
const MAX_REPLY_FRAME: u32 = 64 * 1024;

/// Sends `text` as one frame: its length in 4 big-endian bytes, then it.
fn send_frame(wire: &mut Wire<'_>, step: &str, text: &str) -> Result<(), Failure> {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    wire.send(step, &[&len.to_be_bytes()[..], text.as_bytes()].concat())
}

/// The text of the next reply frame.
fn reply_frame(wire: &mut Wire<'_>, step: &str) -> Result<String, Failure> {
    let expected = "a reply frame: 4 bytes of length, then the text";
    let head = wire.receive(4);
    if head.stop.is_some() {
        let got = wire.describe_count(&head, 4);
        return Err(wire.fail(step, expected, got));
    }
    let len = u32::from_be_bytes([head.bytes[0], head.bytes[1], head.bytes[2], head.bytes[3]]);
    if len > MAX_REPLY_FRAME {
        return Err(wire
            .fail(
                step,
                expected,
                format!("the length bytes {} (a frame of {len} bytes)", show_bytes(&head.bytes)),
            )
            .with_note("a frame's first 4 bytes are its length, big-endian; if these are file bytes, the answer before sent more than it announced"));
    }
    let body = wire.receive(len as usize);
    if body.stop.is_some() {
        let got = wire.describe_count(&body, len as usize);
        return Err(wire.fail(step, format!("the {len} bytes of the frame's text"), got));
    }
    Ok(String::from_utf8_lossy(&body.bytes).into_owned())
}

/// Asks `get OFFSET NAME` of a file whose bytes are `data`, and expects
/// the reply `file SIZE START MD5`, then the bytes from START on (START is
/// OFFSET, or 0 past the end).
fn expect_file(
    wire: &mut Wire<'_>,
    step: &str,
    (offset, name): (usize, &str),
    data: &[u8],
) -> Result<(), Failure> {
    send_frame(wire, step, &format!("get {offset} {name}"))?;
    let start = if offset > data.len() { 0 } else { offset };
    let md5 = md5_hex(data);
    let expected = format!("file {} {start} {md5}", data.len());
    let reply = reply_frame(wire, step)?;
    if reply != expected {
        let words: Vec<&str> = reply.split(' ').collect();
        let note = match words.as_slice() {
            ["error", ..] if offset > data.len() => {
                "an offset past the end means a stale part file, longer than the file: start again from 0, and say so (START 0); the client follows START"
            }
            ["file", _, got_start, _] if *got_start != start.to_string() => {
                "START is the offset asked for, or 0 when the offset is past the end of the file"
            }
            ["file", _, _, got_md5] if *got_md5 != md5 => {
                "MD5 is the md5 of the whole file, whatever the offset: the client checks the bytes it had and the bytes it gets as one file"
            }
            _ => "a frame whose text is `file SIZE START MD5`",
        };
        return Err(Failure::new(
            step,
            format!("the reply {expected:?}"),
            format!("{reply:?}"),
        )
        .with_note(note));
    }
    let owed = &data[start..];
    let got = wire.receive(owed.len());
    if got.stop.is_some() || got.bytes != owed {
        let described = wire.describe(&got, owed);
        return Err(wire
            .fail(
                step,
                format!(
                    "then the {} bytes of the file from byte {start}",
                    owed.len()
                ),
                described,
            )
            .with_note("seek to START, then send exactly SIZE - START bytes"));
    }
    Ok(())
}

/// Asks `request`, and expects an `error` reply with `code`.
fn expect_error(wire: &mut Wire<'_>, step: &str, request: &str, code: &str) -> Result<(), Failure> {
    send_frame(wire, step, request)?;
    let reply = reply_frame(wire, step)?;
    let prefix = format!("error {code} ");
    if reply.starts_with(&prefix) {
        return Ok(());
    }
    Err(Failure::new(
        step,
        format!("a reply that starts with {prefix:?}"),
        format!("{reply:?}"),
    ))
}

// ANCHOR: check_resume_server
fn check_resume_server(session: &mut Session) -> Result<(), Failure> {
    session.require_path("the folder to serve", "--root {path}")?;
    let root = session.scratch_path("served");
    let data = noise(300_000, 3);
    let hello = b"hello\n";
    let setup = || -> std::io::Result<()> {
        fs::create_dir_all(&root)?;
        fs::write(root.join("data.bin"), &data)?;
        fs::write(root.join("hello.txt"), hello)?;
        fs::write(root.join("empty.txt"), b"")
    };
    setup().map_err(|e| Failure::new("preparing a folder to serve", "no error", e.to_string()))?;
    let server = session.start(Some(&root))?;
    let mut wire = Wire::new(&server);
    let gets: [(usize, &str); 4] = [
        (0, "the whole file of 300000 bytes"),
        (
            123_456,
            "a download that broke off at byte 123456: the rest, with the whole file's md5",
        ),
        (300_000, "a part file that is already whole: no bytes"),
        (
            300_001,
            "an offset past the end (a stale part file): from 0 again",
        ),
    ];
    for (offset, what) in gets {
        let step = format!("get {offset} data.bin: {what}");
        expect_file(&mut wire, &step, (offset, "data.bin"), &data)?;
        session.pass(step);
    }

    let step = "get 0 nosuch.bin: a reply `error not-found ...`";
    expect_error(&mut wire, step, "get 0 nosuch.bin", "not-found")?;
    session.pass(step);
    let step = "get ten data.bin: a reply `error bad-request ...`";
    expect_error(&mut wire, step, "get ten data.bin", "bad-request").map_err(|f| match f.note {
        Some(_) => f,
        None => f.with_note("an error reply does not end the connection: read the next request"),
    })?;
    session.pass(step);

    let step = "get 2 hello.txt: after the errors, the same connection goes on";
    expect_file(&mut wire, step, (2, "hello.txt"), hello).map_err(|f| match f.note {
        Some(_) => f,
        None => f.with_note("an error reply does not end the connection: read the next request"),
    })?;
    session.pass(step);
    let step = "get 0 empty.txt: an empty file";
    expect_file(&mut wire, step, (0, "empty.txt"), b"")?;
    session.pass(step);

    let step = "a second client is served while the first stays connected";
    let mut second = Wire::new(&server);
    expect_file(&mut second, step, (0, "hello.txt"), hello)
        .map_err(|f| f.with_note("serve each client on a thread of its own"))?;
    session.pass(step);
    Ok(())
}
// ANCHOR_END: check_resume_server
