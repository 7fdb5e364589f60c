//! Limits a hostile or careless crowd of clients meets: a cap on clients at
//! once, and a server that runs out of descriptors without spinning.

use crate::common;

use std::io::Read;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use book_support::ServerProcess;
use book_support::observe::{cpu_ticks_during, eventually, silent_for};
use common::*;
use predicates::prelude::*;

/// How long a queued client waits, unanswered, while the server is out of
/// descriptors: long enough for a spinning loop to use a whole core.
const HALF_A_SECOND: Duration = Duration::from_millis(500);

/// `ftp-server` on `world`, with `args`, and at most `fds` descriptors.
fn limited_server(world: &World, fds: u64, args: &[&str]) -> ServerProcess {
    server_with_limit(world, libc::RLIMIT_NOFILE, fds, args)
}

/// `ftp-server` on `world`, with `args`, and the limit `resource` set to
/// `value` (as `ulimit` would set it in the shell that starts it).
fn server_with_limit(
    world: &World,
    resource: libc::__rlimit_resource_t,
    value: u64,
    args: &[&str],
) -> ServerProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ftp-server"));
    command
        .args(["--port", "0", "--root", world.root.to_str().unwrap()])
        .args(args);
    // SAFETY: setrlimit is async-signal-safe; nothing is allocated.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            if libc::setrlimit(resource, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    ServerProcess::spawn(command).unwrap()
}

#[test]
fn out_of_descriptors_the_server_pauses_logs_each_episode_once_and_recovers() {
    let world = World::new();
    let server = limited_server(&world, 32, &["--max-clients", "1000"]);
    // More idle clients than the server has descriptors for.
    let idle: Vec<TcpStream> = (0..40).map(|_| connect(&server)).collect();
    assert!(
        eventually(BOUND, || server.stderr().contains("pausing accepts")),
        "{}",
        server.stderr()
    );
    // This one queues behind the idle clients the server could not accept.
    let mut waiting = connect(&server);
    ch4_ftp::framed::send_request(
        &mut waiting,
        &ch4_ftp::framed::Request::Stat {
            name: "hello.txt".into(),
        },
    )
    .unwrap();
    // While it is out, it does not spin: for as long as the queued client
    // waits, unanswered, for half a second, the server uses at most a fifth
    // of a core (a spinning loop uses all of it).
    let used = cpu_ticks_during(server.pid(), || {
        assert!(silent_for(&waiting, HALF_A_SECOND), "answered while out");
    })
    .unwrap();
    assert!(
        used <= 10,
        "{used} ticks of CPU in 50: the accept loop spins"
    );
    // One line per episode, not per try: a client that leaves (or that
    // the server drops for want of a descriptor) ends an episode, so there
    // are at most as many as clients, where a spinning loop writes
    // thousands of lines a second.
    let episodes = server.stderr().matches("accept failed").count();
    assert!(
        (1..=40).contains(&episodes),
        "{episodes} lines for 40 clients: {}",
        server.stderr()
    );
    // The idle clients leave; the server accepts again and serves.
    drop(idle);
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success();
    assert!(
        eventually(BOUND, || server.stderr().contains("accepting again")),
        "{}",
        server.stderr()
    );
}

#[test]
fn clients_beyond_the_cap_are_turned_away_and_the_others_served() {
    let world = World::new();
    let server = world.server_with("framed", &["--max-clients", "2"]);
    let first = connect(&server);
    let second = connect(&server);
    let mut third = connect(&server);
    // Turned away: the connection is closed at once, with nothing sent.
    let mut got = Vec::new();
    let _ = third.read_to_end(&mut got);
    assert!(got.is_empty(), "{got:?}");
    wait_for_log(&server, "turned away: too many clients at once");
    drop((first, second));
    // Their slots are free once the server has logged that both left.
    let both_left = eventually(BOUND, || server.stderr().matches(" left").count() == 2);
    assert!(both_left, "{}", server.stderr());
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success()
    .stdout(predicate::str::contains("hello.txt"));
}

/// A disk that fills up in the middle of an upload, played by a file size
/// limit (`ulimit -f`): the write that crosses it fails as a full disk's
/// would (and, unless the server ignores `SIGXFSZ`, the kernel kills it).
/// The client is told why, the server goes on, and nothing is left.
#[test]
fn a_disk_that_fills_mid_upload_gets_an_error_reply_and_leaves_nothing() {
    let world = World::new();
    let server = server_with_limit(&world, libc::RLIMIT_FSIZE, 100_000, &[]);
    let local = world.tmp.path().join("big.bin");
    std::fs::write(&local, sample(300_000)).unwrap();
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        &format!("put {}\n", local.display()),
    )
    .failure()
    .stderr(predicate::str::contains(
        "the server cannot store big.bin: File too large",
    ));
    wait_for_log(&server, "put \"big.bin\": cannot store it: File too large");
    let names: Vec<_> = std::fs::read_dir(&world.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("big") || n.starts_with(".upload")),
        "{names:?}"
    );
    // Still serving, on the same terms.
    client(
        &server.port().unwrap(),
        "framed",
        &world.down,
        &[],
        "get hello.txt\n",
    )
    .success();
}
