//! The article's protocol, the server's half: answer `get NAME` with the
//! size, wait for the acknowledgement, send the bytes and the digest.
//!
//! The messages are [`crate::article`]'s; where the article's server goes
//! quiet or dies, this one answers with a line that starts with `error: `.

use std::io::{self, Write};
use std::net::TcpStream;

use crate::article::{COMMAND_LIMIT, Command, parse_command, read_message};
use crate::send;
use crate::state::{Server, peer};

// ANCHOR: serve_article_client
/// Serves one client of the article's protocol until it leaves.
pub fn serve_article_client(mut stream: TcpStream, server: &Server) -> io::Result<()> {
    let who = peer(&stream);
    loop {
        let Some(message) = read_message(&mut stream, COMMAND_LIMIT)? else {
            return Ok(()); // the client has gone
        };
        if message.len() == COMMAND_LIMIT {
            // One read filled the whole buffer: the command may go on, and
            // what follows would be read as more commands. Say so and stop.
            server.log(&who, "command of 1024 bytes or more: closing");
            let reply = format!("error: command longer than {} bytes", COMMAND_LIMIT - 1);
            return stream.write_all(reply.as_bytes());
        }
        let name = match parse_command(&message) {
            Ok(Command::Get(name)) => name,
            Err(why) => {
                server.log(&who, &format!("bad command: {why}"));
                stream.write_all(format!("error: {why}").as_bytes())?;
                continue;
            }
        };
        let (mut file, meta) = match server.root.open_file(&name) {
            Ok(found) => found,
            Err(refusal) => {
                server.log(&who, &format!("get {name:?}: refused: {refusal}"));
                stream.write_all(format!("error: {refusal}: {name}").as_bytes())?;
                continue;
            }
        };
        let digest = server.digests.digest(&file)?;
        stream.write_all(meta.len().to_string().as_bytes())?;
        if read_message(&mut stream, COMMAND_LIMIT)?.is_none() {
            return Ok(()); // gone before acknowledging
        }
        send::send_file_range(&stream, &mut file, 0, meta.len(), server.method)?;
        stream.write_all(digest.as_bytes())?;
        server.log(&who, &format!("get {name:?}: sent {} bytes", meta.len()));
    }
}
// ANCHOR_END: serve_article_client
