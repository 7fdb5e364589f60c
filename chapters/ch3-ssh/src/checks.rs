//! The checkers of the chapter's exercises: black-box, over real sockets.
//!
//! Each starts the student's program, talks to it the way a client would,
//! and stops at the first answer that is not what the exercise asks for.
//! They look only at bytes on the wire, so a program in any language can be
//! judged: `cargo exercise check ch3-recv-exact --cmd "python3 up.py --port {port}"`.

use std::io::ErrorKind;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Instant;

use book_support::ServerProcess;
use book_support::check::{ANSWER_TIMEOUT, Checker, Failure, Session};

/// The chapter's checkers, one per exercise.
pub fn checkers() -> Vec<Checker> {
    vec![
        Checker {
            name: "ch3-recv-exact",
            run: check_recv_exact,
        },
        Checker {
            name: "ch3-frame-codec",
            run: check_frame_codec,
        },
    ]
}

/// A connection to the program under test, with every wait bounded.
struct Wire<'a> {
    stream: TcpStream,
    server: &'a mut ServerProcess,
}

impl<'a> Wire<'a> {
    fn open(server: &'a mut ServerProcess, what: &str) -> Result<Self, Failure> {
        let addr: Result<SocketAddr, _> = server.socket_addr();
        let stream = match addr.map(|a| TcpStream::connect_timeout(&a, ANSWER_TIMEOUT)) {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => return Err(fail(server, what, "a TCP connection", err.to_string())),
            Err(err) => return Err(fail(server, what, "a TCP address", format!("{err:#}"))),
        };
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(ANSWER_TIMEOUT));
        Ok(Wire { stream, server })
    }

    fn send(&mut self, what: &str, bytes: &[u8]) -> Result<(), Failure> {
        self.stream.write_all(bytes).map_err(|err| {
            fail(
                self.server,
                what,
                "the program to take the bytes we send",
                format!("{err}"),
            )
        })
    }

    /// Reads exactly `expected.len()` bytes and compares them.
    fn expect(&mut self, what: &str, expected: &[u8]) -> Result<(), Failure> {
        let got = read_up_to(&mut self.stream, expected.len());
        if got.bytes != expected {
            return Err(fail(
                self.server,
                what,
                show(expected),
                describe(&got, expected.len()),
            ));
        }
        Ok(())
    }

    /// Expects the program to close the connection (after what it sent).
    fn expect_close(&mut self, what: &str) -> Result<(), Failure> {
        let _ = self.stream.set_read_timeout(Some(ANSWER_TIMEOUT));
        let got = match self.stream.read(&mut [0u8; 1]) {
            Ok(0) => return Ok(()),
            Err(err) if !matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(());
            }
            Ok(_) => "more bytes".to_string(),
            Err(_) => format!("the connection still open after {ANSWER_TIMEOUT:?}"),
        };
        Err(fail(self.server, what, "the connection closed", got))
    }
}

/// What [`read_up_to`] got, and why it stopped short if it did.
struct Received {
    bytes: Vec<u8>,
    /// `None` when all the bytes asked for came.
    stopped: Option<String>,
}

/// Reads until `n` bytes are in, the peer closes, or the answer timeout.
fn read_up_to(stream: &mut TcpStream, n: usize) -> Received {
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut stopped = None;
    while bytes.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            stopped = Some(format!("nothing more within {ANSWER_TIMEOUT:?}"));
            break;
        }
        let want = buf.len().min(n - bytes.len());
        match stream.read(&mut buf[..want]) {
            // Closed or reset: a program that ends with bytes unread resets
            // the connection, one that read them all closes it, and which
            // one a crashing program does is a matter of timing.
            Ok(0) => {
                stopped = Some("then the connection ended".to_string());
                break;
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                stopped = Some("then the connection ended".to_string());
                break;
            }
            Ok(k) => bytes.extend_from_slice(&buf[..k]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                stopped = Some(format!("nothing more within {ANSWER_TIMEOUT:?}"));
                break;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                stopped = Some(format!("then {e}"));
                break;
            }
        }
    }
    Received { bytes, stopped }
}

fn show(bytes: &[u8]) -> String {
    if bytes.len() > 40 {
        format!(
            "{} bytes starting {:?}",
            bytes.len(),
            String::from_utf8_lossy(&bytes[..20])
        )
    } else {
        format!("{:?}", String::from_utf8_lossy(bytes))
    }
}

fn describe(got: &Received, wanted: usize) -> String {
    match &got.stopped {
        Some(why) => format!(
            "{} ({} of {wanted} bytes), {why}",
            show(&got.bytes),
            got.bytes.len()
        ),
        None => show(&got.bytes),
    }
}

fn fail(
    server: &mut ServerProcess,
    what: &str,
    expected: impl Into<String>,
    got: String,
) -> Failure {
    Failure::new(what, expected, got).with_program(server)
}

/// Bytes that are easy to tell apart at any offset.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// ch3-recv-exact: size, OK, exactly that many bytes, echo.
fn check_recv_exact(session: &mut Session) -> Result<(), Failure> {
    let mut server = session.start(None)?;
    {
        let mut wire = Wire::open(&mut server, "connecting")?;
        let what = "the server answers a size (\"12\") with \"OK\"";
        wire.send(what, b"12")?;
        wire.expect(what, b"OK")?;
        session.pass(what);

        let what = "the server echoes the 12 bytes it received";
        wire.send(what, b"hello, world")?;
        wire.expect(what, b"hello, world")?;
        session.pass(what);

        let what =
            "the server reads exactly the announced bytes, even when the next size follows at once";
        wire.send(what, b"5")?;
        wire.expect(what, b"OK")?;
        wire.send(what, b"abcde7")?; // the body, glued to the next size
        wire.expect(what, b"abcde")?;
        wire.expect(
            &format!("{what} (\"7\" is the next size: expected \"OK\")"),
            b"OK",
        )?;
        wire.send(what, b"1234567")?;
        wire.expect(what, b"1234567")?;
        session.pass(what);

        let what = "the server keeps reading until 3000000 bytes are in (one read is not enough)";
        let body = pattern(3_000_000, 7);
        wire.send(what, b"3000000")?;
        wire.expect(what, b"OK")?;
        wire.send(what, &body)?;
        wire.expect(what, &body)?;
        session.pass(what);
    }
    {
        let what = "a client that leaves in the middle of its bytes does not stop the server";
        let mut wire = Wire::open(&mut server, what)?;
        wire.send(what, b"100")?;
        wire.expect(what, b"OK")?;
        wire.send(what, b"only ten b")?;
        let _ = wire.stream.shutdown(Shutdown::Both);
    }
    let what = "the next client is served after one left mid-upload";
    let mut wire = Wire::open(&mut server, what)?;
    wire.send(what, b"3")?;
    wire.expect(what, b"OK")?;
    wire.send(what, b"end")?;
    wire.expect(what, b"end")?;
    session.pass(what);
    Ok(())
}

/// One frame of the exercise's format.
fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as u32).to_be_bytes().to_vec();
    out.push(kind);
    out.extend_from_slice(payload);
    out
}

/// ch3-frame-codec: every frame comes back; a frame over the limit is
/// refused with a `!` frame.
fn check_frame_codec(session: &mut Session) -> Result<(), Failure> {
    const MAX: usize = 1024 * 1024;
    let mut server = session.start(None)?;
    {
        let mut wire = Wire::open(&mut server, "connecting")?;
        let what = "a frame comes back unchanged: 00 00 00 05 'C' \"hello\"";
        wire.send(what, &frame(b'C', b"hello"))?;
        wire.expect(what, &frame(b'C', b"hello"))?;
        session.pass(what);

        let what = "a frame with an empty payload comes back: 00 00 00 00 'Z'";
        wire.send(what, &frame(b'Z', b""))?;
        wire.expect(what, &frame(b'Z', b""))?;
        session.pass(what);

        let what = "two frames sent in one write come back as two frames";
        let mut two = frame(b'A', b"first");
        two.extend(frame(b'B', b"second frame"));
        wire.send(what, &two)?;
        wire.expect(what, &two)?;
        session.pass(what);

        let what = "a frame sent in pieces (header split, payload split) comes back whole";
        let whole = frame(b'P', b"pieces of a frame");
        for piece in [&whole[..2], &whole[2..7], &whole[7..]] {
            wire.send(what, piece)?;
            let _ = wire.stream.flush();
        }
        wire.expect(what, &whole)?;
        session.pass(what);

        let what = "a frame of exactly 1 MiB (the limit) comes back";
        let big = frame(b'O', &pattern(MAX, 3));
        wire.send(what, &big)?;
        wire.expect(what, &big)?;
        session.pass(what);
    }
    for (length, label) in [(MAX as u32 + 1, "1 MiB + 1"), (u32::MAX, "4 GiB - 1")] {
        let what = format!(
            "a frame announcing {label} bytes is refused with a '!' frame, then the connection closes"
        );
        let mut wire = Wire::open(&mut server, &what)?;
        let mut header = length.to_be_bytes().to_vec();
        header.push(b'O');
        wire.send(&what, &header)?;
        let head = read_up_to(&mut wire.stream, 5);
        if head.bytes.len() < 5 || head.bytes[4] != b'!' {
            return Err(fail(
                wire.server,
                &what,
                "a frame of kind '!'",
                describe(&head, 5),
            ));
        }
        let h = &head.bytes;
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len > MAX {
            return Err(fail(
                wire.server,
                &what,
                "a '!' frame of a sane length",
                format!("length {len}"),
            ));
        }
        let message = read_up_to(&mut wire.stream, len);
        if message.bytes.len() < len {
            return Err(fail(
                wire.server,
                &what,
                format!("{len} bytes of explanation"),
                describe(&message, len),
            ));
        }
        wire.expect_close(&what)?;
        session.pass(what);
    }
    let what = "the server still serves new clients after refusing a frame";
    let mut wire = Wire::open(&mut server, what)?;
    wire.send(what, &frame(b'C', b"still here?"))?;
    wire.expect(what, &frame(b'C', b"still here?"))?;
    session.pass(what);
    Ok(())
}
