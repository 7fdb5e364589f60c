//! A download server that resumes: `get OFFSET NAME` in the framed protocol.
//!
//! It serves the files under `--root DIR` to any number of clients, each
//! on a thread of its own. Every message is a frame: a 4-byte big-endian
//! length, then that many bytes of text.
//!
//! ```text
//! client: get OFFSET NAME
//! server: file SIZE START MD5      then the SIZE - START bytes from START
//!     or: error CODE MESSAGE       and the connection goes on
//! ```
//!
//! START is OFFSET, where the client's part file ends, or 0 when OFFSET is
//! past the end of the file (a stale part file: the client starts again).
//! MD5 is the whole file's, so that the client can check the bytes it had
//! and the bytes it gets as one file. The chapter's client downloads from
//! it:
//!
//! ```text
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-resume-server -- --port 1999 --root some/folder
//! echo "get notes.txt" | cargo run -p ch4-ftp --bin ftp-client -- --port 1999 --dir .
//! ```

use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread;

use anyhow::Result;
use book_support::cli::{announce, run};
use ch4_ftp::digest::{HashKind, hash_prefix, hex};
use ch4_ftp::framed::{FrameError, MAX_REQUEST, Reply, Request, read_frame, send_reply};
use ch4_ftp::safety::Root;
use clap::Parser;
use md5::{Digest, Md5};

/// Serves downloads that resume where they broke off.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 1999)]
    port: u16,
    /// The folder to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

fn main() -> ExitCode {
    run(|| serve_forever(&Args::parse()))
}

// ANCHOR: task
/// The whole server: the folder, the listening socket, a thread a client.
fn serve_forever(args: &Args) -> Result<()> {
    // EXERCISE: open the folder once with `Root::new`; listen on 127.0.0.1 at args.port and print `listening on ADDR` (`announce`); serve each client with `serve` on a thread of its own, an error ending that client only
    let root = Arc::new(Root::new(&args.root)?);
    let listener = TcpListener::bind(("127.0.0.1", args.port))?;
    announce(listener.local_addr()?);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let root = Arc::clone(&root);
        thread::spawn(move || {
            if let Err(e) = serve(stream, &root) {
                eprintln!("error: {e}");
            }
        });
    }
    Ok(())
    // END EXERCISE
}

/// One client: requests until it leaves.
fn serve(stream: TcpStream, root: &Root) -> io::Result<()> {
    // EXERCISE: read request frames until the client leaves (`read_frame` gives None); answer `get OFFSET NAME` with the frame `file SIZE START MD5` (START is OFFSET, or 0 past the end; the md5 of the whole file), then the SIZE - START bytes from START; any other request, or a name `root.open_file` refuses, gets `error CODE MESSAGE` and the next request is read
    let mut input = BufReader::new(stream.try_clone()?);
    let mut output = stream;
    loop {
        let payload = match read_frame(&mut input, MAX_REQUEST) {
            Ok(Some(payload)) => payload,
            Ok(None) => return Ok(()),
            Err(FrameError::Io(e)) => return Err(e),
            Err(too_large) => {
                // Its bytes were not read: the next frame cannot be found.
                let reply = Reply::error("too-large", too_large.to_string());
                return send_reply(&mut output, &reply);
            }
        };
        let (name, offset) = match Request::parse(&payload) {
            Ok(Request::Get {
                name,
                offset,
                hash: HashKind::Md5,
            }) => (name, offset),
            Ok(_) => {
                let reply = Reply::error("bad-request", "this server answers only get, with md5");
                send_reply(&mut output, &reply)?;
                continue;
            }
            Err(why) => {
                send_reply(&mut output, &Reply::error("bad-request", why))?;
                continue;
            }
        };
        let (mut file, meta) = match root.open_file(&name) {
            Ok(found) => found,
            Err(refusal) => {
                let reply = Reply::error(refusal.code(), format!("{refusal}: {name}"));
                send_reply(&mut output, &reply)?;
                continue;
            }
        };
        let size = meta.len();
        // The whole file's md5, whatever part of it goes out.
        let mut md5 = Md5::new();
        hash_prefix(&mut file, size, &mut md5)?;
        let start = if offset > size { 0 } else { offset };
        let reply = Reply::File {
            size,
            offset: start,
            digest: hex(md5),
        };
        send_reply(&mut output, &reply)?;
        file.seek(SeekFrom::Start(start))?;
        let sent = io::copy(&mut file.take(size - start), &mut output)?;
        if sent < size - start {
            // The file got shorter: the client can no longer be answered in step.
            return Err(io::Error::other(format!("{name} got shorter while sent")));
        }
    }
    // END EXERCISE
}
// ANCHOR_END: task
