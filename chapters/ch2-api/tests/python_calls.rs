//! `python/course_calls.py` makes each call of the course's section 1.2 once,
//! on loopback, and the chapter's pages show its lines beside the Rust forms.
//! This runs it and checks that every call did what the pages say.
//!
//! It needs `python3`; where that is missing it says `SKIPPED` on stderr and
//! checks nothing, as the chapter's other Python tests do.

use crate::common;

use common::BOUND;

/// What the program prints, one line per call (or pair of calls), in order.
/// Nothing here depends on the machine: no port, no descriptor number.
const EXPECTED: &[&str] = &[
    "socket: AF_INET SOCK_STREAM",
    "socketpair: AF_UNIX b'ping'",
    "fileno: a small number above 2: True",
    "getaddrinfo: localhost includes 127.0.0.1: True",
    "getsockname: 127.0.0.1 and a port the kernel chose: True",
    "listen: backlog 5",
    "create_connection: timeout 5.0",
    "accept: addr is the client's own address: True",
    "getpeername: the same address: True",
    "connect: connected to the server: True",
    "connect_ex: ECONNREFUSED",
    "setblocking(False): recv raised BlockingIOError EAGAIN",
    "settimeout(0.5): recv raised timed out",
    "send: took 5 bytes",
    "recv: b'hello'",
    "sendall: 3000 bytes; recv_into: filled 1024 of a bytearray(1024)",
    "shutdown(SHUT_WR): the server read 3000 bytes, then b''",
    "after shutdown the client still reads: b'bye'",
    "close: the client's descriptor is gone: -1",
    "recvfrom: b'one datagram' from the client: True",
    "sendfile: sent 10000 bytes; the client received 10000",
];

#[test]
fn every_call_the_pages_show_runs_and_does_what_they_say() {
    let Some(python) = common::python3() else {
        return;
    };
    let program = format!("{}/python/course_calls.py", env!("CARGO_MANIFEST_DIR"));
    let out = assert_cmd::Command::new(python)
        .arg(program)
        .timeout(BOUND)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "course_calls.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Vec<&str> = stdout.lines().collect();
    assert_eq!(printed, EXPECTED, "course_calls.py printed:\n{stdout}");
}

/// Each anchor a page includes holds exactly one line, so it fits in the
/// Python column of the page's table; a second line would break the table.
#[test]
fn every_shown_part_is_one_line() {
    let source = include_str!("../python/course_calls.py");
    let lines: Vec<&str> = source.lines().collect();
    let mut anchors = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line.trim().strip_prefix("# ANCHOR: ") else {
            continue;
        };
        anchors += 1;
        let end = format!("# ANCHOR_END: {name}");
        assert_eq!(
            lines.get(i + 2).map(|l| l.trim()),
            Some(end.as_str()),
            "the anchor {name} of course_calls.py (line {}) is not one line",
            i + 1
        );
        assert!(
            !lines[i + 1].starts_with(' ') && !lines[i + 1].contains('|'),
            "the line of the anchor {name} is indented or holds a `|`"
        );
    }
    assert!(anchors >= 21, "only {anchors} anchors in course_calls.py");
}
