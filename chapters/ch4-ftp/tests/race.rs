//! A local attacker who can write in the served folder swaps a subfolder
//! for a symbolic link to a folder outside, again and again, as fast as
//! `renameat2(RENAME_EXCHANGE)` goes, while a client asks for names in it.
//! Whatever the timing, nothing outside the root is read, listed or
//! written, and no half-received upload is left behind.
//!
//! Each race runs for a bounded time, on loopback, and also until both
//! sides of the swap have been seen, so that a starved swapper cannot make
//! the test pass without racing.

use crate::common;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ch4_ftp::digest::HashKind;
use ch4_ftp::framed::{Reply, Request, read_frame, send_request};
use common::*;
use rustix::fs::{CWD, RenameFlags, renameat_with};

/// How long each race runs at least.
const RACE: Duration = Duration::from_millis(1500);

/// Swaps two names until told to stop; returns how many swaps it made.
struct Swapper {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<u64>,
}

impl Swapper {
    fn start(a: PathBuf, b: PathBuf) -> Swapper {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let mut swaps = 0;
            while !flag.load(Ordering::Relaxed) {
                renameat_with(CWD, &a, CWD, &b, RenameFlags::EXCHANGE).unwrap();
                swaps += 1;
            }
            swaps
        });
        Swapper { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap()
    }
}

/// A served folder whose `sub` is swapped with `link`, a symbolic link to
/// `outside`, which holds a file of the same name as `sub`'s and one more.
struct Battlefield {
    world: World,
    outside: PathBuf,
    swapper: Swapper,
}

impl Battlefield {
    fn new() -> Battlefield {
        let world = World::new();
        let outside = world.tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("inner.txt"), b"TOP SECRET\n").unwrap();
        fs::write(outside.join("only-outside.txt"), b"TOP SECRET\n").unwrap();
        symlink(&outside, world.root.join("link")).unwrap();
        let swapper = Swapper::start(world.root.join("sub"), world.root.join("link"));
        Battlefield {
            world,
            outside,
            swapper,
        }
    }

    /// Runs `attempt` again and again for [`RACE`] and until it has
    /// reported both an answer from inside (`true`) and a refusal
    /// (`false`), within [`BOUND`]. Returns the number of attempts.
    fn race(&self, mut attempt: impl FnMut(u32) -> bool) -> u32 {
        let start = Instant::now();
        let (mut inside, mut refused, mut tries) = (0, 0, 0);
        while start.elapsed() < RACE || inside == 0 || refused == 0 {
            assert!(
                start.elapsed() < BOUND,
                "no race in {BOUND:?}: {inside} answers, {refused} refusals"
            );
            if attempt(tries) {
                inside += 1;
            } else {
                refused += 1;
            }
            tries += 1;
        }
        tries
    }

    /// Stops the swapper; the files outside must be as they were.
    fn end(self) {
        assert!(self.swapper.stop() > 0);
        let mut names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["inner.txt", "only-outside.txt"],
            "written outside the root"
        );
        assert_eq!(
            fs::read(self.outside.join("inner.txt")).unwrap(),
            b"TOP SECRET\n"
        );
        // No upload left half-done anywhere under the root.
        for folder in [
            &self.world.root,
            &self.world.root.join("sub"),
            &self.outside,
        ] {
            for entry in fs::read_dir(folder).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                assert!(!name.starts_with(".upload"), "left behind: {name}");
            }
        }
    }
}

/// Sends one request and reads one reply.
fn ask(conn: &mut TcpStream, request: &Request) -> Reply {
    send_request(conn, request).unwrap();
    let payload = read_frame(conn, 1 << 20).unwrap().unwrap();
    Reply::parse(&payload).unwrap()
}

fn is_refusal(reply: &Reply, of: &str) -> bool {
    match reply {
        Reply::Error { code, .. } => ["refused", "not-found"].contains(&code.as_str()),
        other => panic!("{of}: unexpected {other:?}"),
    }
}

#[test]
fn get_during_a_swap_race_never_sends_a_file_from_outside() {
    let field = Battlefield::new();
    let server = field.world.server("framed");
    let mut conn = connect(&server);
    let request = Request::Get {
        name: "sub/inner.txt".into(),
        offset: 0,
        hash: HashKind::Md5,
    };
    let tries = field.race(|_| match ask(&mut conn, &request) {
        Reply::File { size, .. } => {
            let mut bytes = vec![0; size as usize];
            conn.read_exact(&mut bytes).unwrap();
            assert_eq!(bytes, b"inner\n", "a file from outside the root was sent");
            true
        }
        refusal => !is_refusal(&refusal, "get"),
    });
    eprintln!("{tries} gets during the race");
    field.end();
}

#[test]
fn ls_during_a_swap_race_never_lists_a_folder_outside() {
    let field = Battlefield::new();
    let server = field.world.server("framed");
    let mut conn = connect(&server);
    let request = Request::Ls { dir: "sub".into() };
    let tries = field.race(|_| match ask(&mut conn, &request) {
        Reply::List(entries) => {
            let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names, ["inner.txt"], "a folder outside the root was listed");
            true
        }
        refusal => !is_refusal(&refusal, "ls"),
    });
    eprintln!("{tries} listings during the race");
    field.end();
}

#[test]
fn put_during_a_swap_race_never_writes_outside() {
    let field = Battlefield::new();
    let server = field.world.server("framed");
    let mut conn = connect(&server);
    let bytes = b"uploaded\n";
    let tries = field.race(|n| {
        let request = Request::Put {
            name: format!("sub/up-{n}.txt"),
            size: bytes.len() as u64,
            md5: md5_hex(bytes),
        };
        match ask(&mut conn, &request) {
            Reply::Ready => {
                conn.write_all(bytes).unwrap();
                let payload = read_frame(&mut conn, 1 << 20).unwrap().unwrap();
                match Reply::parse(&payload).unwrap() {
                    Reply::Done { .. } => true,
                    // The folder was swapped between the name's check and
                    // the publication: the upload is refused, never moved.
                    refusal => !is_refusal(&refusal, "put"),
                }
            }
            refusal => !is_refusal(&refusal, "put"),
        }
    });
    eprintln!("{tries} uploads during the race");
    let root_sub = Path::new(&field.world.root).join("sub");
    let link = field.world.root.join("link");
    // Every upload that was answered `done` is inside, in whichever of the
    // two names the real folder now has.
    let real = if root_sub.is_symlink() {
        link
    } else {
        root_sub
    };
    assert!(fs::read_dir(real).unwrap().count() > 1);
    field.end();
}
