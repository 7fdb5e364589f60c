//! The checkers of the chapter's exercises: black-box, over real sockets.
//!
//! Each starts the student's program, talks to it the way a client would,
//! and stops at the first answer that is not what the exercise asks for.
//! They look only at bytes on the wire, so a program in any language can be
//! judged: `cargo exercise check ch3-recv-exact --cmd "python3 up.py --port {port}"`.

use book_support::check::{Checker, Failure, Session, Wire};

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

/// Bytes that are easy to tell apart at any offset.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// ch3-recv-exact: size, OK, exactly that many bytes, echo.
fn check_recv_exact(session: &mut Session) -> Result<(), Failure> {
    let server = session.start(None)?;
    {
        let mut wire = Wire::new(&server);
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
        let mut wire = Wire::new(&server);
        wire.send(what, b"100")?;
        wire.expect(what, b"OK")?;
        wire.send(what, b"only ten b")?;
        wire.hang_up();
    }
    let what = "the next client is served after one left mid-upload";
    let mut wire = Wire::new(&server);
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
    let server = session.start(None)?;
    {
        let mut wire = Wire::new(&server);
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
        let mut wire = Wire::new(&server);
        let mut header = length.to_be_bytes().to_vec();
        header.push(b'O');
        wire.send(&what, &header)?;
        let head = wire.receive(5);
        if head.bytes.len() < 5 || head.bytes[4] != b'!' {
            let got = wire.describe_count(&head, 5);
            return Err(wire.fail(&what, "a frame of kind '!'", got));
        }
        let h = &head.bytes;
        let len = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as usize;
        if len > MAX {
            return Err(wire.fail(
                &what,
                "a '!' frame of a sane length",
                format!("length {len}"),
            ));
        }
        let message = wire.receive(len);
        if message.bytes.len() < len {
            let got = wire.describe_count(&message, len);
            return Err(wire.fail(&what, format!("{len} bytes of explanation"), got));
        }
        wire.expect_close(&what)?;
        session.pass(what);
    }
    let what = "the server still serves new clients after refusing a frame";
    let mut wire = Wire::new(&server);
    wire.send(what, &frame(b'C', b"still here?"))?;
    wire.expect(what, &frame(b'C', b"still here?"))?;
    session.pass(what);
    Ok(())
}
