//! Unix domain sockets: the socket file, its stale leftovers, its removal on
//! Ctrl-C, abstract names, and the address a datagram client must have.

use crate::common;

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use book_support::ServerProcess;
use common::{Case, Running, SERVER, WAIT, client, one_error_line, server_fails, text};

/// Leaves a socket file at `path` the way a killed server does.
fn leave_stale_socket(path: &Path) {
    drop(UnixDatagram::bind(path).unwrap());
    assert!(fs::symlink_metadata(path).unwrap().file_type().is_socket());
}

fn start_at(transport: &str, path: &Path, extra: &[&str]) -> ServerProcess {
    let mut args = vec!["--transport", transport, "--path", path.to_str().unwrap()];
    args.extend(extra);
    ServerProcess::start(SERVER, &args).unwrap()
}

fn unix_args(transport: &str, path: &str) -> Vec<String> {
    vec![
        "--transport".into(),
        transport.into(),
        "--path".into(),
        path.into(),
    ]
}

#[test]
fn a_stale_socket_file_is_removed_and_the_server_starts() {
    for transport in ["unix-stream", "unix-dgram", "unix-seqpacket"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("echo.sock");
        leave_stale_socket(&path);
        let server = start_at(transport, &path, &[]);
        let args = unix_args(transport, server.address());
        let output = client(&args, &[], "still works\n").success();
        assert_eq!(
            text(&output.get_output().stdout),
            "still works\n",
            "{transport}"
        );
    }
}

#[test]
fn without_the_cleanup_a_stale_file_makes_bind_fail_with_eaddrinuse() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    leave_stale_socket(&path);
    let path_text = path.to_str().unwrap();
    let output = server_fails(&[
        "--transport",
        "unix-stream",
        "--path",
        path_text,
        "--no-unlink",
    ]);
    let line = one_error_line(&output.get_output().stderr);
    assert_eq!(
        line,
        format!(
            "error: cannot bind a unix-stream socket to {path_text}: \
             Address already in use (os error 98)"
        )
    );
}

#[test]
fn a_file_that_is_not_a_socket_is_never_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    fs::write(&path, "precious").unwrap();
    let output = server_fails(&[
        "--transport",
        "unix-dgram",
        "--path",
        path.to_str().unwrap(),
    ]);
    let line = one_error_line(&output.get_output().stderr);
    assert!(
        line.contains("exists and is not a socket; not removing it"),
        "{line}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn a_live_server_keeps_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let first = start_at("unix-stream", &path, &[]);
    for transport in ["unix-stream", "unix-dgram"] {
        let output = server_fails(&["--transport", transport, "--path", path.to_str().unwrap()]);
        let line = one_error_line(&output.get_output().stderr);
        assert!(line.contains("another program is serving on"), "{line}");
    }
    let output = client(
        &unix_args("unix-stream", first.address()),
        &[],
        "still mine\n",
    )
    .success();
    assert_eq!(text(&output.get_output().stdout), "still mine\n");
}

/// Sends `signal` to the server and expects it to exit with 128 + signal,
/// its socket file removed.
fn stop_with(transport: &str, signal: libc::c_int) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.sock");
    let server = start_at(transport, &path, &[]);
    assert!(path.exists());
    let pid = libc::pid_t::try_from(server.pid()).unwrap();
    // SAFETY: kill takes plain numbers; the pid is our own child's.
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let status = server
        .wait_for_exit(WAIT)
        .unwrap_or_else(|| panic!("{transport}: the server did not stop on signal {signal}"));
    assert_eq!(status.code(), Some(128 + signal), "{transport}: {status:?}");
    assert_eq!(status.signal(), None);
    assert!(
        !path.exists(),
        "{transport}: the socket file is still there after signal {signal}"
    );
}

#[test]
fn ctrl_c_removes_the_socket_file() {
    stop_with("unix-stream", libc::SIGINT);
}

#[test]
fn sigterm_and_sighup_remove_the_socket_file() {
    stop_with("unix-dgram", libc::SIGTERM);
    stop_with("unix-seqpacket", libc::SIGHUP);
}

#[test]
fn a_tcp_server_stops_on_ctrl_c_too() {
    let server = ServerProcess::start(SERVER, ["--transport", "tcp", "--port", "0"]).unwrap();
    let pid = libc::pid_t::try_from(server.pid()).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = server.wait_for_exit(WAIT).expect("the server stops");
    assert_eq!(status.code(), Some(130));
}

/// A name nobody else on this machine uses at the same time.
fn unique_abstract_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "@ch1-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(target_os = "linux")]
#[test]
fn an_abstract_name_needs_no_file() {
    for transport in ["unix-stream", "unix-dgram", "unix-seqpacket"] {
        let name = unique_abstract_name();
        let dir = tempfile::tempdir().unwrap();
        let server = ServerProcess::spawn({
            let mut command = std::process::Command::new(SERVER);
            command
                .args(["--transport", transport, "--path", &name])
                .current_dir(dir.path());
            command
        })
        .unwrap();
        assert_eq!(server.address(), name);
        let output = client(&unix_args(transport, &name), &[], "abstract\n").success();
        assert_eq!(
            text(&output.get_output().stdout),
            "abstract\n",
            "{transport}"
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no file anywhere"
        );
    }
}

#[test]
fn an_unbound_datagram_client_gets_no_reply() {
    let running = Running::start(Case::UnixDgram, "unbound", &[]).unwrap();
    let output = running
        .client(&["--unbound", "--timeout", "0.5"], "hello?\n")
        .failure();
    let line = one_error_line(&output.get_output().stderr);
    assert!(line.starts_with("error: no answer from"), "{line}");
    assert!(line.contains("our socket is not bound"), "{line}");
    // The server did receive it, and says why it did not answer.
    let log = running.log_line("datagram from");
    assert_eq!(
        log,
        "datagram from (unnamed): 6 bytes \"hello?\", not echoed: \
         the sender's socket is not bound, it has no address to reply to"
    );
}

#[test]
fn a_datagram_client_bound_to_a_path_gets_its_reply_there() {
    let running = Running::start(Case::UnixDgram, "bound client", &[]).unwrap();
    let own = running.dir.path().join("client.sock");
    let own_text = own.to_str().unwrap();
    let output = running.client(&["--bind", own_text], "hello\n").success();
    assert_eq!(text(&output.get_output().stdout), "hello\n");
    let log = running.log_line("datagram from");
    assert_eq!(
        log,
        format!("datagram from {own_text}: 5 bytes \"hello\", echoed")
    );
    assert!(!own.exists(), "the client removes its own socket file");
}

#[test]
fn two_servers_cannot_share_a_path_but_each_can_have_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let a = start_at("unix-dgram", &dir.path().join("a.sock"), &[]);
    let b = start_at("unix-dgram", &dir.path().join("b.sock"), &[]);
    for server in [&a, &b] {
        let output = client(&unix_args("unix-dgram", server.address()), &[], "hi\n").success();
        assert_eq!(text(&output.get_output().stdout), "hi\n");
    }
}
