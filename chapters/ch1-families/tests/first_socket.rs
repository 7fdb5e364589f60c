//! The four programs of the chapter's first page, `book/ch1/first-socket.md`:
//! a server and a client in Rust (`first-server`, `first-client`) and in
//! Python (`python/first_server.py`, `python/first_client.py`). Any server
//! works with any client, both languages print the same lines, and a server
//! serves one client, then exits.
//!
//! The Python pairings need `python3`; where it is missing they say
//! `SKIPPED` on stderr and check nothing.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use book_support::ServerProcess;
use book_support::tools::python3;

const SERVER: &str = env!("CARGO_BIN_EXE_first-server");
const CLIENT: &str = env!("CARGO_BIN_EXE_first-client");

/// The longest a test waits for a program: generous, since two cores run
/// many tests at once; a healthy run needs milliseconds.
const WAIT: Duration = Duration::from_secs(20);

/// What every client prints, whichever server answered.
const CLIENT_PRINTS: &str = "sent: Hello, world!\nreceived: HELLO, WORLD!\n";

#[derive(Debug, Clone, Copy)]
enum Lang {
    Rust,
    Python,
}

/// `python/NAME` of this chapter.
fn python_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(name)
}

/// The program and its first arguments for one of the four programs, or
/// `None` (said on stderr) where Python is needed and missing.
fn program(lang: Lang, rust: &str, python: &str) -> Option<(String, Vec<String>)> {
    match lang {
        Lang::Rust => Some((rust.to_owned(), Vec::new())),
        Lang::Python => {
            let python3 = python3()?;
            let script = python_file(python).to_string_lossy().into_owned();
            Some((python3.to_owned(), vec![script]))
        }
    }
}

/// Starts the `lang` server on a port the system chooses.
fn start_server(lang: Lang) -> Option<ServerProcess> {
    let (program, args) = program(lang, SERVER, "first_server.py")?;
    let mut command = std::process::Command::new(program);
    command.args(args).args(["--port", "0"]);
    let server = ServerProcess::spawn(command)
        .unwrap_or_else(|err| panic!("the {lang:?} server did not start: {err:#}"));
    Some(server)
}

/// The `lang` client, with `--port PORT`, ready to run.
fn client(lang: Lang, port: &str) -> Option<Command> {
    let (program, args) = program(lang, CLIENT, "first_client.py")?;
    let mut command = Command::new(program);
    command.args(args).args(["--port", port]).timeout(WAIT);
    Some(command)
}

/// One exchange between a `server` and a `client`, checked on both sides.
fn exchange(server_lang: Lang, client_lang: Lang) {
    let pair = format!("{server_lang:?} server, {client_lang:?} client");
    let Some(server) = start_server(server_lang) else {
        return;
    };
    let port = server.port().expect("the server prints IP:PORT");
    let Some(mut client) = client(client_lang, &port) else {
        return;
    };

    let output = client.assert().success();
    let stdout = String::from_utf8_lossy(&output.get_output().stdout);
    assert_eq!(stdout, CLIENT_PRINTS, "{pair}: the client");

    // One client served, the server exits by itself, having printed this.
    let status = server
        .wait_for_exit(WAIT)
        .unwrap_or_else(|| panic!("{pair}: the server did not exit after one client"));
    assert!(
        status.success(),
        "{pair}: the server {status}; stderr: {}",
        server.stderr()
    );
    assert!(
        server
            .listening_line()
            .starts_with("listening on 127.0.0.1:"),
        "{pair}: {}",
        server.listening_line()
    );
    let lines = server.read_to_end(WAIT).expect("the server's output ends");
    assert_eq!(lines.len(), 2, "{pair}: the server printed {lines:?}");
    let from = lines[0]
        .strip_prefix("connection from ")
        .unwrap_or_else(|| panic!("{pair}: {:?}", lines[0]));
    let from: SocketAddr = from
        .parse()
        .unwrap_or_else(|err| panic!("{pair}: {from:?} is not IP:PORT: {err}"));
    assert!(from.ip().is_loopback(), "{pair}: {from}");
    assert_eq!(lines[1], "received: Hello, world!", "{pair}");
}

#[test]
fn rust_server_and_rust_client() {
    exchange(Lang::Rust, Lang::Rust);
}

#[test]
fn rust_server_and_python_client() {
    exchange(Lang::Rust, Lang::Python);
}

#[test]
fn python_server_and_rust_client() {
    exchange(Lang::Python, Lang::Rust);
}

#[test]
fn python_server_and_python_client() {
    exchange(Lang::Python, Lang::Python);
}

/// A port on loopback where nothing listens, held (bound, not listening) so
/// that no other program takes it while the test runs.
fn port_nobody_listens_on() -> (socket2::Socket, String) {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any.into()).expect("bind 127.0.0.1:0");
    let port = socket
        .local_addr()
        .unwrap()
        .as_socket()
        .expect("an IP address")
        .port();
    (socket, port.to_string())
}

#[test]
fn with_nobody_there_the_question_mark_ends_main_with_the_error() {
    // What the page shows: `?` returns the error from main, and Rust prints
    // it (`Error: ...`, its debug form) and exits with code 1.
    let (_held, port) = port_nobody_listens_on();
    let output = client(Lang::Rust, &port).unwrap().assert().code(1);
    let output = output.get_output();
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("Error: ") && stderr.contains("ConnectionRefused"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Python's exception ends its program the same way, with a traceback.
    if let Some(mut python) = client(Lang::Python, &port) {
        let output = python.assert().code(1);
        let stderr = String::from_utf8_lossy(&output.get_output().stderr);
        assert!(stderr.contains("ConnectionRefusedError"), "{stderr}");
    }
}

#[test]
fn a_port_that_is_not_a_16_bit_number_is_an_error_not_a_panic() {
    for program in [SERVER, CLIENT] {
        for (port, why) in [("ninety", "InvalidDigit"), ("99999", "PosOverflow")] {
            let output = Command::new(program)
                .args(["--port", port])
                .timeout(WAIT)
                .assert()
                .code(1);
            let stderr = String::from_utf8_lossy(&output.get_output().stderr);
            assert!(
                stderr.starts_with("Error: ") && stderr.contains(why),
                "{program} --port {port}: {stderr}"
            );
        }
    }
}

#[test]
fn rust_bind_sets_so_reuseaddr_as_the_python_server_does_by_hand() {
    // The page: TcpListener::bind is socket(), setsockopt(SO_REUSEADDR),
    // bind() and listen() in one call.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let reuse = socket2::SockRef::from(&listener)
        .reuse_address()
        .expect("getsockopt SO_REUSEADDR");
    assert!(reuse, "std's TcpListener::bind did not set SO_REUSEADDR");
}

#[test]
fn each_server_starts_again_at_once_on_the_port_it_just_served() {
    for lang in [Lang::Rust, Lang::Python] {
        let Some(first) = start_server(lang) else {
            continue;
        };
        let port = first.port().expect("the server prints IP:PORT");
        client(Lang::Rust, &port).unwrap().assert().success();
        assert!(first.wait_for_exit(WAIT).is_some_and(|s| s.success()));

        // The connection it served may still wait out TIME_WAIT on that port.
        let (program, args) = program(lang, SERVER, "first_server.py").unwrap();
        let mut command = std::process::Command::new(program);
        command.args(args).args(["--port", &port]);
        let again = ServerProcess::spawn(command)
            .unwrap_or_else(|err| panic!("{lang:?}: cannot start again on {port}: {err:#}"));
        assert_eq!(again.port().unwrap(), port, "{lang:?}");
        client(Lang::Rust, &port).unwrap().assert().success();
    }
}
