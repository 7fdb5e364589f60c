//! The md5 of a file, in memory that does not grow with the file.
//!
//! A small server for one folder, `--root DIR`, that answers the framed
//! protocol's `stat` in lines. Each request is a line `stat NAME`; the
//! answer is a line `stat SIZE MD5` (the md5 in lowercase hex), or
//! `error CODE MESSAGE` when the name is not served. A file may be far
//! bigger than the memory the program may use: it is read and hashed a
//! chunk at a time, never held whole.
//!
//! ```text
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-file-md5 -- --port 1999 --root some/folder
//! printf 'stat notes.txt\n' | nc 127.0.0.1 1999
//! ```

use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use book_support::cli::{announce, run};
use ch4_ftp::safety::Root;
use clap::Parser;
use md5::{Digest, Md5};

/// How many bytes each read asks for: the program's memory for a file,
/// whatever the file's size.
const CHUNK: usize = 64 * 1024;

/// Answers `stat NAME` with the size and md5 of the files under one folder.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 1999)]
    port: u16,
    /// The folder to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

// ANCHOR: task
/// The number of bytes `file` yields up to its end, and their md5 in
/// lowercase hex, read `CHUNK` bytes at a time.
fn md5_of(file: &mut impl Read) -> io::Result<(u64, String)> {
    // EXERCISE: read into one buffer of CHUNK bytes until `read` returns 0, feeding each piece to `Md5::update` and counting the bytes; then the digest as 32 lowercase hex digits
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        md5.update(&buf[..n]);
        size += n as u64;
    }
    let hex = md5.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((size, hex))
    // END EXERCISE
}
// ANCHOR_END: task

/// The answer to one request line.
fn answer(root: &Root, line: &str) -> String {
    let Some(name) = line.strip_prefix("stat ") else {
        return "error bad-request usage: stat NAME".into();
    };
    let result = root
        .open_file(name)
        .map_err(|refusal| format!("error {} {refusal}: {name}", refusal.code()))
        .and_then(|(mut file, _)| {
            md5_of(&mut file).map_err(|e| format!("error io cannot read {name}: {e}"))
        });
    match result {
        Ok((size, md5)) => format!("stat {size} {md5}"),
        Err(error) => error,
    }
}

fn serve(stream: TcpStream, root: &Root) -> io::Result<()> {
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    let mut line = String::new();
    while input.read_line(&mut line)? > 0 {
        let request = line.trim_end_matches(['\r', '\n']);
        let reply = answer(root, request);
        output.write_all(format!("{reply}\n").as_bytes())?;
        line.clear();
    }
    Ok(())
}

fn main() -> ExitCode {
    run(|| {
        let args = Args::parse();
        let root = Arc::new(Root::new(&args.root)?);
        let listener = TcpListener::bind(("127.0.0.1", args.port))?;
        announce(listener.local_addr()?);
        for stream in listener.incoming() {
            let stream = stream?;
            let root = Arc::clone(&root);
            thread::spawn(move || {
                if let Err(e) = serve(stream, &root) {
                    eprintln!("error: {e:#}");
                }
            });
        }
        Ok(())
    })
}
