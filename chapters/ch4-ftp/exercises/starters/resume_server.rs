// Exercise ch4-resume-server: A server that resumes downloads: `get OFFSET NAME`, from any offset
// Run it: `cargo run --manifest-path my-exercises/Cargo.toml --bin ch4-resume-server -- --port 0 --root my-exercises`
// Check it: `cargo exercise check ch4-resume-server`. Stuck? `cargo exercise hint ch4-resume-server`.

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
    // TODO: open the folder once with `Root::new`; listen on 127.0.0.1 at args.port and print `listening on ADDR` (`announce`); serve each client with `serve` on a thread of its own, an error ending that client only
    todo!(
        "open the folder once with `Root::new`; listen on 127.0.0.1 at args.port and print `listening on ADDR` (`announce`); serve each client with `serve` on a thread of its own, an error ending that client only"
    )
}

/// One client: requests until it leaves.
fn serve(stream: TcpStream, root: &Root) -> io::Result<()> {
    // TODO: read request frames until the client leaves (`read_frame` gives None); answer `get OFFSET NAME` with the frame `file SIZE START MD5` (START is OFFSET, or 0 past the end; the md5 of the whole file), then the SIZE - START bytes from START; any other request, or a name `root.open_file` refuses, gets `error CODE MESSAGE` and the next request is read
    todo!(
        "read request frames until the client leaves (`read_frame` gives None); answer `get OFFSET NAME` with the frame `file SIZE START MD5` (START is OFFSET, or 0 past the end; the md5 of the whole file), then the SIZE - START bytes from START; any other request, or a name `root.open_file` refuses, gets `error CODE MESSAGE` and the next request is read"
    )
}
// ANCHOR_END: task
