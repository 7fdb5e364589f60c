//! The probe, run as a program: its table must say what holds on this
//! machine, for root and for an ordinary user alike.

use assert_cmd::Command;
use ch1_families::probe::can_open_raw_sockets;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

fn run_probe(args: &[&str]) -> String {
    let output = Command::new(PROBE)
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success();
    String::from_utf8_lossy(&output.get_output().stdout).into_owned()
}

/// The result column of the row for `family` and `socket_type`.
fn result<'a>(table: &'a str, family: &str, socket_type: &str) -> &'a str {
    for line in table.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some(family) || words.next() != Some(socket_type) {
            continue;
        }
        // Skip the family, the type and the protocol: the rest is the result.
        let mut rest = line;
        for _ in 0..3 {
            rest = rest.trim_start();
            rest = &rest[rest.find(' ').unwrap_or(rest.len())..];
        }
        return rest.trim();
    }
    panic!("no row for {family} {socket_type} in:\n{table}")
}

fn ipv6_here(table: &str) -> bool {
    let here = !result(table, "AF_INET6", "SOCK_STREAM").contains("EAFNOSUPPORT");
    if !here {
        eprintln!("SKIPPED the AF_INET6 rows: IPv6 is disabled on this machine");
    }
    here
}

#[test]
fn the_table_has_every_pair_of_the_article() {
    let table = run_probe(&[]);
    for family in ["AF_UNIX", "AF_INET", "AF_INET6"] {
        for ty in [
            "SOCK_STREAM",
            "SOCK_DGRAM",
            "SOCK_RAW",
            "SOCK_RDM",
            "SOCK_SEQPACKET",
        ] {
            result(&table, family, ty);
        }
    }
}

#[test]
fn streams_and_datagrams_open_everywhere() {
    let table = run_probe(&[]);
    assert_eq!(result(&table, "AF_UNIX", "SOCK_STREAM"), "ok");
    assert_eq!(result(&table, "AF_UNIX", "SOCK_DGRAM"), "ok");
    assert_eq!(
        result(&table, "AF_INET", "SOCK_STREAM"),
        "ok, protocol 6 (TCP)"
    );
    assert_eq!(
        result(&table, "AF_INET", "SOCK_DGRAM"),
        "ok, protocol 17 (UDP)"
    );
    if ipv6_here(&table) {
        assert_eq!(
            result(&table, "AF_INET6", "SOCK_STREAM"),
            "ok, protocol 6 (TCP)"
        );
        assert_eq!(
            result(&table, "AF_INET6", "SOCK_DGRAM"),
            "ok, protocol 17 (UDP)"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn linux_refuses_rdm_and_has_unix_seqpacket() {
    let table = run_probe(&[]);
    for family in ["AF_UNIX", "AF_INET", "AF_INET6"] {
        assert_eq!(
            result(&table, family, "SOCK_RDM"),
            "refused: ESOCKTNOSUPPORT (Socket type not supported)",
            "{family}"
        );
    }
    assert_eq!(result(&table, "AF_UNIX", "SOCK_SEQPACKET"), "ok");
    assert_eq!(
        result(&table, "AF_UNIX", "SOCK_RAW"),
        "ok, but it is a SOCK_DGRAM"
    );
    // SCTP, where loaded, answers SOCK_SEQPACKET in the IP families.
    let inet = result(&table, "AF_INET", "SOCK_SEQPACKET");
    assert!(
        inet == "refused: ESOCKTNOSUPPORT (Socket type not supported)"
            || inet == "refused: EPROTONOSUPPORT (Protocol not supported)"
            || inet == "ok, protocol 132 (SCTP)",
        "{inet}"
    );
}

#[test]
fn raw_sockets_need_cap_net_raw() {
    let table = run_probe(&[]);
    // The probe runs with our privileges: root in CI, a user on a laptop.
    let privileged = can_open_raw_sockets();
    let expected_header = format!("CAP_NET_RAW: {}", if privileged { "yes" } else { "no" });
    assert!(
        table.lines().next().unwrap().ends_with(&expected_header),
        "{table}"
    );
    let mut families = vec!["AF_INET"];
    if ipv6_here(&table) {
        families.push("AF_INET6");
    }
    for family in families {
        let raw = result(&table, family, "SOCK_RAW");
        if privileged {
            assert!(raw.starts_with("ok, protocol"), "{family}: {raw}");
        } else {
            assert!(
                raw == "refused: EPERM (Operation not permitted)"
                    || raw == "refused: EACCES (Permission denied)",
                "{family}: {raw}"
            );
        }
    }
}

#[test]
fn as_nobody_shows_what_an_ordinary_user_sees() {
    let table = run_probe(&["--as-nobody"]);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let first = table.lines().next().unwrap();
    if root {
        assert_eq!(first, "--as-nobody: switched from root to nobody");
        assert!(table.contains("uid 65534, CAP_NET_RAW: no"), "{table}");
        assert_eq!(
            result(&table, "AF_INET", "SOCK_RAW"),
            "refused: EPERM (Operation not permitted)"
        );
    } else {
        assert_eq!(first, "--as-nobody: not root, nothing to give up");
    }
    // What needs no privilege still works.
    assert_eq!(
        result(&table, "AF_INET", "SOCK_STREAM"),
        "ok, protocol 6 (TCP)"
    );
    assert_eq!(result(&table, "AF_UNIX", "SOCK_SEQPACKET"), "ok");
}
