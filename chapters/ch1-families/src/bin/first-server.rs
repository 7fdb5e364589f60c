//! Your first socket: the server. It serves one client, then exits.
//! Each comment is the line of `python/first_server.py` that does the same.

use std::io::{Read, Write};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    // port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999
    let port: u16 = match std::env::args().skip_while(|arg| arg != "--port").nth(1) {
        Some(number) => number.parse().map_err(std::io::Error::other)?,
        None => 9999,
    };

    // server = socket.socket(); server.setsockopt(...); server.bind(...); server.listen()
    let server = TcpListener::bind(("127.0.0.1", port))?;
    // print("listening on %s:%d" % server.getsockname(), flush=True)
    book_support::cli::announce(server.local_addr()?);

    // conn, addr = server.accept()
    let (mut conn, addr) = server.accept()?;
    println!("connection from {addr}");
    // data = conn.recv(1024)
    let mut buffer = [0; 1024];
    let n = conn.read(&mut buffer)?;
    let data = &buffer[..n];
    println!("received: {}", String::from_utf8_lossy(data));
    // conn.sendall(data.upper())
    conn.write_all(&data.to_ascii_uppercase())?;
    // conn.close(); server.close(): Rust closes both when main ends
    Ok(())
}
