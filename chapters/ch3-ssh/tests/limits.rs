//! A server out of descriptors (`ulimit -n`) with more idle clients than it
//! can hold: it pauses accepting instead of spinning, logs the episode once,
//! and accepts again when descriptors are free.

use crate::common;

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::time::Duration;

use book_support::ServerProcess;
use book_support::observe::{cpu_ticks_during, silent_for};
use common::*;

/// How long a queued client waits, unanswered, while the server is out of
/// descriptors: long enough for a spinning loop to use a whole core.
const HALF_A_SECOND: Duration = Duration::from_millis(500);

/// `ssh-server` with `args` and at most `fds` descriptors.
fn limited_server(fds: u64, args: &[&str]) -> ServerProcess {
    let mut command = server_command(args);
    // SAFETY: setrlimit is async-signal-safe; nothing is allocated.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: fds,
                rlim_max: fds,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    ServerProcess::spawn(command).expect("ssh-server starts")
}

#[test]
fn out_of_descriptors_the_server_pauses_logs_once_and_recovers() {
    let server = limited_server(32, &["--max-clients", "1000"]);
    let idle: Vec<TcpStream> = (0..40).map(|_| connect(&server)).collect();
    server.wait_for_line("pausing accepts", TIMEOUT).unwrap();
    // This one queues behind the idle clients the server could not accept.
    let mut waiting = connect(&server);
    ch3_ssh::frame::write_frame(&mut waiting, ch3_ssh::frame::Kind::Command, b"true").unwrap();
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
    // The idle clients leave; the server accepts again and serves.
    drop(idle);
    let out = client(
        &server.port().unwrap(),
        &["--protocol", "framed"],
        b"echo back\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("back\n"),
        "{}",
        text(&out.stdout)
    );
    // One line per episode, not per try: a client that leaves (or that the
    // server drops for want of a descriptor) ends an episode, so there are
    // at most as many as clients, where a spinning loop writes thousands of
    // lines a second.
    let mut episodes = 1; // the one awaited above
    loop {
        let line = server
            .next_line(TIMEOUT)
            .expect("the server says it accepts again");
        if line.contains("accepting again") {
            break;
        }
        episodes += usize::from(line.contains("accept failed"));
    }
    assert!(episodes <= 40, "{episodes} lines for 40 clients");
}
