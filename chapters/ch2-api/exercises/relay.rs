//! A relay: every TCP client is passed on to a Unix stream socket.
//!
//! This is what a front server does for an application that listens on a
//! Unix socket (nginx in front of a Python app, say). For each client the
//! relay opens its own connection to the upstream socket at `--to PATH`,
//! and copies bytes both ways at once. When one side ends its sending
//! direction, the relay ends the same direction on the other connection
//! (`shutdown(SHUT_WR)`), so the other direction goes on until it ends too;
//! then both connections are closed.
//!
//! Try your copy with a Python upstream that answers once the request has
//! ended:
//!
//! ```text
//! python3 -c 'import socket,os; p="/tmp/up.sock"; os.path.exists(p) and os.unlink(p); s=socket.socket(socket.AF_UNIX); s.bind(p); s.listen(); c,_=s.accept(); d=c.makefile("rb").read(); c.sendall(b"got %d bytes\n" % len(d))'
//! cargo run --manifest-path my-exercises/Cargo.toml --bin ch2-relay -- --port 9999 --to /tmp/up.sock
//! printf 'hello\n' | nc -N 127.0.0.1 9999
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

/// Passes every TCP client on to a Unix stream socket.
#[derive(Parser, Debug)]
struct Args {
    /// The port; 0 lets the operating system choose.
    #[arg(long, default_value_t = 9999)]
    port: u16,
    /// The upstream: the path of a listening Unix stream socket.
    #[arg(long)]
    to: PathBuf,
}

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let args = Args::parse();
        relay(args.port, &args.to)
    })
}

/// Listens on 127.0.0.1:`port`, prints `listening on ADDR`, and relays
/// every client to the Unix socket at `to`.
fn relay(port: u16, to: &Path) -> Result<()> {
    // EXERCISE: listen on 127.0.0.1 and print `listening on ADDR`; for each client, connect to `to` and copy both ways at once (a thread per direction), each direction's end passed on with `shutdown(Shutdown::Write)`
    use std::io;
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::os::unix::net::UnixStream;
    use std::thread;

    use anyhow::Context;

    /// One client: its own upstream connection, and a thread per direction.
    fn serve(client: TcpStream, to: &Path) -> io::Result<()> {
        let upstream = UnixStream::connect(to)?;
        // A second handle on each socket (dup), for the second thread.
        let (client2, upstream2) = (client.try_clone()?, upstream.try_clone()?);
        let up = thread::spawn(move || {
            // Client to upstream, until the client ends its side.
            match io::copy(&mut &client2, &mut &upstream2) {
                Ok(_) => {
                    let _ = upstream2.shutdown(Shutdown::Write);
                }
                Err(err) => {
                    // Stop the other direction too.
                    eprintln!("relay: from the client: {err}");
                    let _ = client2.shutdown(Shutdown::Both);
                    let _ = upstream2.shutdown(Shutdown::Both);
                }
            }
        });
        // Upstream to client, on this thread.
        match io::copy(&mut &upstream, &mut &client) {
            Ok(_) => {
                let _ = client.shutdown(Shutdown::Write);
            }
            Err(err) => {
                eprintln!("relay: from upstream: {err}");
                let _ = client.shutdown(Shutdown::Both);
                let _ = upstream.shutdown(Shutdown::Both);
            }
        }
        let _ = up.join();
        // Both directions are done: the handles are dropped here, and both
        // connections close.
        Ok(())
    }

    let listener = TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    book_support::cli::announce(listener.local_addr()?);
    for client in listener.incoming() {
        let client = match client {
            Ok(client) => client,
            Err(err) => {
                eprintln!("relay: cannot accept: {err}");
                continue;
            }
        };
        let to = to.to_path_buf();
        thread::spawn(move || {
            if let Err(err) = serve(client, &to) {
                eprintln!("relay: {}: {err}", to.display());
            }
        });
    }
    Ok(())
    // END EXERCISE
}
