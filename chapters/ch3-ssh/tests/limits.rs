//! A server out of descriptors (`ulimit -n`) with more idle clients than it
//! can hold: it pauses accepting instead of spinning, logs the episode once,
//! and accepts again when descriptors are free.

mod common;

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::thread;
use std::time::Duration;

use book_support::ServerProcess;
use book_support::observe::cpu_ticks;
use common::*;

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
    // While it is out, it does not spin: over half a second it uses at
    // most a fifth of a core (a spinning loop uses all of it).
    let before = cpu_ticks(server.pid()).unwrap();
    thread::sleep(Duration::from_millis(500));
    let used = cpu_ticks(server.pid()).unwrap() - before;
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
