//! Appendix B ("The errors this book meets"), checked on this machine.
//!
//! For every error in the appendix's table: its number on Linux, the
//! `std::io::ErrorKind` Rust gives it, and the exception Python raises for it.
//! Then the errors that Rust makes itself, with no errno behind them, which
//! the appendix describes too.

use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;
use std::time::Duration;

/// The kind Rust gives an errno. `Uncategorized` is not a name stable code
/// may use, so it is recognised by its `Debug` text.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Is(ErrorKind),
    Uncategorized,
}

/// One row of the appendix's table.
struct Row {
    name: &'static str,
    errno: i32,
    number: i32,
    kind: Kind,
    python: &'static str,
}

const fn row(name: &'static str, errno: i32, number: i32, kind: Kind, python: &'static str) -> Row {
    Row {
        name,
        errno,
        number,
        kind,
        python,
    }
}

use Kind::{Is, Uncategorized};

// ANCHOR: table
/// The table, in the appendix's order: name, errno, its number on Linux,
/// Rust's kind, Python's exception.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    row("ECONNREFUSED",    libc::ECONNREFUSED,    111, Is(ErrorKind::ConnectionRefused),    "ConnectionRefusedError"),
    row("EADDRINUSE",      libc::EADDRINUSE,      98,  Is(ErrorKind::AddrInUse),            "OSError"),
    row("EAGAIN",          libc::EAGAIN,          11,  Is(ErrorKind::WouldBlock),           "BlockingIOError"),
    row("ETIMEDOUT",       libc::ETIMEDOUT,       110, Is(ErrorKind::TimedOut),             "TimeoutError"),
    row("EPIPE",           libc::EPIPE,           32,  Is(ErrorKind::BrokenPipe),           "BrokenPipeError"),
    row("ECONNRESET",      libc::ECONNRESET,      104, Is(ErrorKind::ConnectionReset),      "ConnectionResetError"),
    row("ECONNABORTED",    libc::ECONNABORTED,    103, Is(ErrorKind::ConnectionAborted),    "ConnectionAbortedError"),
    row("ENOTCONN",        libc::ENOTCONN,        107, Is(ErrorKind::NotConnected),         "OSError"),
    row("EMSGSIZE",        libc::EMSGSIZE,        90,  Uncategorized,                       "OSError"),
    row("ENOENT",          libc::ENOENT,          2,   Is(ErrorKind::NotFound),             "FileNotFoundError"),
    row("ENAMETOOLONG",    libc::ENAMETOOLONG,    36,  Is(ErrorKind::InvalidFilename),      "OSError"),
    row("EPROTOTYPE",      libc::EPROTOTYPE,      91,  Uncategorized,                       "OSError"),
    row("EPERM",           libc::EPERM,           1,   Is(ErrorKind::PermissionDenied),     "PermissionError"),
    row("EACCES",          libc::EACCES,          13,  Is(ErrorKind::PermissionDenied),     "PermissionError"),
    row("ESOCKTNOSUPPORT", libc::ESOCKTNOSUPPORT, 94,  Uncategorized,                       "OSError"),
    row("EPROTONOSUPPORT", libc::EPROTONOSUPPORT, 93,  Uncategorized,                       "OSError"),
    row("EINVAL",          libc::EINVAL,          22,  Is(ErrorKind::InvalidInput),         "OSError"),
    row("EINTR",           libc::EINTR,           4,   Is(ErrorKind::Interrupted),          "InterruptedError"),
    row("EEXIST",          libc::EEXIST,          17,  Is(ErrorKind::AlreadyExists),        "FileExistsError"),
    row("ENOSYS",          libc::ENOSYS,          38,  Is(ErrorKind::Unsupported),          "OSError"),
    row("EOPNOTSUPP",      libc::EOPNOTSUPP,      95,  Is(ErrorKind::Unsupported),          "OSError"),
];
// ANCHOR_END: table

// ANCHOR: check
#[test]
fn each_errno_has_the_number_and_the_error_kind_the_appendix_gives() {
    let mut wrong = Vec::new();
    for row in TABLE {
        if row.errno != row.number {
            wrong.push(format!(
                "{} is {} here, not {}",
                row.name, row.errno, row.number
            ));
        }
        let error = io::Error::from_raw_os_error(row.errno);
        let kind = error.kind();
        let matches = match row.kind {
            Is(expected) => kind == expected,
            Uncategorized => format!("{kind:?}") == "Uncategorized",
        };
        if !matches {
            wrong.push(format!(
                "{} ({error}) is {kind:?}, not {:?}",
                row.name, row.kind
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the table is wrong:\n  {}",
        wrong.join("\n  ")
    );
}
// ANCHOR_END: check

#[test]
fn ewouldblock_is_eagain_and_a_resolver_error_is_not_an_errno() {
    assert_eq!(libc::EWOULDBLOCK, libc::EAGAIN);
    // getaddrinfo's own codes are negative, apart from errno's.
    assert_eq!(libc::EAI_NONAME, -2);
}

/// Runs `python3 -c script`, or says it is skipping.
fn python(script: &str) -> Option<String> {
    match Command::new("python3").arg("-c").arg(script).output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "python3 failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(_) => {
            eprintln!("SKIPPED: python3 not found");
            None
        }
    }
}

#[test]
fn python_raises_the_exception_the_appendix_gives() {
    let numbers: Vec<String> = TABLE.iter().map(|row| row.errno.to_string()).collect();
    let script = format!(
        "for n in [{}]: print(type(OSError(n, 'x')).__name__)",
        numbers.join(",")
    );
    let Some(out) = python(&script) else { return };
    let got: Vec<&str> = out.lines().collect();
    let wanted: Vec<&str> = TABLE.iter().map(|row| row.python).collect();
    for ((row, got), wanted) in TABLE.iter().zip(&got).zip(&wanted) {
        assert_eq!(got, wanted, "Python's exception for {}", row.name);
    }
    assert_eq!(got.len(), wanted.len());
}

#[test]
fn pythons_socket_module_names_the_same_exceptions() {
    let script = "import socket\n\
                  print(socket.timeout is TimeoutError, socket.error is OSError,\n\
                  issubclass(socket.gaierror, OSError), socket.EAI_NONAME)\n\
                  try:\n    socket.socket(socket.AF_UNIX).bind('/tmp/' + 'x' * 120)\n\
                  except OSError as e:\n    print(repr(e))\n\
                  a, b = socket.socketpair()\n\
                  b.settimeout(0.05)\n\
                  try:\n    b.recv(1)\n\
                  except OSError as e:\n    print(repr(e))\n";
    let Some(out) = python(script) else { return };
    assert_eq!(
        out,
        "True True True -2\nOSError('AF_UNIX path too long')\nTimeoutError('timed out')\n"
    );
}

#[test]
fn read_exact_on_a_connection_that_ends_early_is_unexpected_eof_with_no_errno() {
    let (mut ours, mut theirs) = UnixStream::pair().unwrap();
    theirs.write_all(b"abc").unwrap();
    drop(theirs);
    let err = ours.read_exact(&mut [0; 10]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
    assert_eq!(err.raw_os_error(), None);
    assert_eq!(err.to_string(), "failed to fill whole buffer");
}

#[test]
fn a_unix_path_too_long_for_sun_path_is_refused_before_the_kernel_sees_it() {
    let path = format!("/tmp/{}.sock", "x".repeat(110));
    let err = UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.raw_os_error(), None, "{err}");
    assert!(err.to_string().contains("SUN_LEN"), "{err}");
}

#[test]
fn a_zero_timeout_is_invalid_input_with_no_errno() {
    let (ours, _theirs) = UnixStream::pair().unwrap();
    let err = ours.set_read_timeout(Some(Duration::ZERO)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.raw_os_error(), None);
}

/// `socket(family, type, protocol)` straight from libc: the errno, if refused.
fn socket_errno(family: i32, socket_type: i32, protocol: i32) -> Option<i32> {
    // SAFETY: socket(2) takes plain integers and touches no memory of ours.
    let fd = unsafe { libc::socket(family, socket_type, protocol) };
    if fd >= 0 {
        // SAFETY: `fd` was just returned by socket(2) and nothing else owns it.
        unsafe { libc::close(fd) };
        return None;
    }
    io::Error::last_os_error().raw_os_error()
}

#[test]
fn the_kernel_refuses_a_type_or_protocol_the_family_does_not_have() {
    assert_eq!(
        socket_errno(libc::AF_INET, libc::SOCK_RDM, 0),
        Some(libc::ESOCKTNOSUPPORT)
    );
    assert_eq!(
        socket_errno(libc::AF_INET, libc::SOCK_STREAM, libc::IPPROTO_UDP),
        Some(libc::EPROTONOSUPPORT)
    );
}
