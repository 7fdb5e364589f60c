//! Your first socket: the client. It sends one message and prints the reply.
//! Each comment is the line of `python/first_client.py` that does the same.

use std::io::{Read, Write};
use std::net::TcpStream;

fn main() -> std::io::Result<()> {
    // port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999
    let port: u16 = match std::env::args().skip_while(|arg| arg != "--port").nth(1) {
        Some(number) => number.parse().map_err(std::io::Error::other)?,
        None => 9999,
    };

    // client = socket.socket(); client.connect(("127.0.0.1", port))
    let mut client = TcpStream::connect(("127.0.0.1", port))?;
    let message = "Hello, world!";
    // client.sendall(message.encode("utf-8"))
    client.write_all(message.as_bytes())?;
    println!("sent: {message}");
    // data = client.recv(1024)
    let mut buffer = [0; 1024];
    let n = client.read(&mut buffer)?;
    println!("received: {}", String::from_utf8_lossy(&buffer[..n]));
    // client.close(): Rust closes it when main ends
    Ok(())
}
