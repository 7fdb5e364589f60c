//! Shows the sticky-packet problem (粘包) on a real loopback connection.
//!
//! ```text
//! cargo run -p ch3-ssh --bin sticky-demo
//! ```

use std::process::ExitCode;

use ch3_ssh::sticky::{with_ack, without_ack};

fn main() -> ExitCode {
    book_support::cli::run(|| {
        let (size, result) = (b"4", b"123\n");
        println!(
            "the server's two sends: {:?} (the size), then {:?} (the result of `echo 123`)",
            show(size),
            show(result)
        );
        println!();
        println!("without the acknowledgement:");
        let glued = without_ack(size, result)?;
        println!(
            "  client: recv(1024) -> {:?} ({} bytes)",
            show(&glued),
            glued.len()
        );
        println!(
            "  the client would read the size as {:?} and wait for bytes that never come",
            String::from_utf8_lossy(&glued).trim_end()
        );
        println!();
        println!("with the acknowledgement:");
        let (first, rest) = with_ack(size, result)?;
        println!(
            "  client: recv(1024) -> {:?} ({} bytes)",
            show(&first),
            first.len()
        );
        println!("  client: send(\"OK\")");
        println!(
            "  client: recv until 4 bytes -> {:?} ({} bytes)",
            show(&rest),
            rest.len()
        );
        Ok(())
    })
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
