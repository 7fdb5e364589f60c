//! Which family × type pairs this machine lets a program open.
//!
//! The article says "depending on the system, more constants may be
//! available" and leaves it there. Asking is cheaper than guessing: open a
//! socket of each pair, and when the operating system refuses, keep its own
//! error, which says why (`EPERM`: you lack the privilege; `ESOCKTNOSUPPORT`:
//! this family has no such type).

use std::fmt::Write as _;
use std::io;

use anyhow::{Context, Result, bail};
use socket2::Socket;

use crate::families::{Family, SocketType, protocol_for, protocol_name};

/// What happened when we asked for one family and type.
#[derive(Debug)]
pub enum Outcome {
    /// The socket was created. The kernel reports what it made: its real
    /// type (Linux turns an `AF_UNIX` `SOCK_RAW` into a `SOCK_DGRAM`) and
    /// the protocol it chose for "protocol 0".
    Opened {
        /// The socket's type as the kernel reports it (`SO_TYPE`).
        actual_type: i32,
        /// The protocol as the kernel reports it (`SO_PROTOCOL`), if known.
        protocol: Option<i32>,
    },
    /// The kernel refused, with this error.
    Refused(io::Error),
}

/// One row of the probe's table.
#[derive(Debug)]
pub struct Probe {
    /// The family asked for.
    pub family: Family,
    /// The type asked for.
    pub socket_type: SocketType,
    /// What the kernel did.
    pub outcome: Outcome,
}

impl Probe {
    /// Did the kernel create the socket?
    pub fn opened(&self) -> bool {
        matches!(self.outcome, Outcome::Opened { .. })
    }

    /// The error number of a refusal (`libc::EPERM`, ...), if refused.
    pub fn errno(&self) -> Option<i32> {
        match &self.outcome {
            Outcome::Refused(err) => err.raw_os_error(),
            Outcome::Opened { .. } => None,
        }
    }
}

// ANCHOR: try_socket
/// Asks the kernel for a socket of `family` and `socket_type`, the way
/// Python's `socket.socket(family, type)` does, and closes it again.
pub fn try_socket(family: Family, socket_type: SocketType) -> Probe {
    let protocol = protocol_for(family, socket_type);
    let outcome = match Socket::new(family.domain(), socket_type.socket2_type(), protocol) {
        Ok(socket) => Outcome::Opened {
            // Ask the socket what it is: not always what we asked for.
            actual_type: socket.r#type().map_or(-1, i32::from),
            protocol: socket.protocol().ok().flatten().map(i32::from),
        },
        Err(err) => Outcome::Refused(err),
    };
    // `socket` is dropped at the end of the match arm: the descriptor is closed.
    Probe {
        family,
        socket_type,
        outcome,
    }
}
// ANCHOR_END: try_socket

/// Every family of the article with every type of the article.
pub fn probe_all() -> Vec<Probe> {
    Family::ALL
        .into_iter()
        .flat_map(|f| SocketType::ALL.into_iter().map(move |t| try_socket(f, t)))
        .collect()
}

/// The C name of the error numbers a probe meets.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::EINVAL => "EINVAL",
        libc::EPROTOTYPE => "EPROTOTYPE",
        libc::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        libc::ESOCKTNOSUPPORT => "ESOCKTNOSUPPORT",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EAFNOSUPPORT => "EAFNOSUPPORT",
        _ => return None,
    })
}

/// The result column of one row: `ok`, `ok, protocol 6 (TCP)`,
/// `ok, but it is a SOCK_DGRAM`, or `refused: EPERM (Operation not permitted)`.
pub fn describe_outcome(probe: &Probe) -> String {
    match &probe.outcome {
        Outcome::Opened {
            actual_type,
            protocol,
        } => {
            let mut text = String::from("ok");
            if *actual_type != i32::from(probe.socket_type.socket2_type()) {
                let name =
                    SocketType::from_raw(*actual_type).map_or("another type", |t| t.constant());
                let _ = write!(text, ", but it is a {name}");
            }
            if let Some(p) = protocol.filter(|_| probe.family != Family::Unix) {
                let _ = write!(text, ", protocol {p}");
                if let Some(name) = protocol_name(p) {
                    let _ = write!(text, " ({name})");
                }
            }
            text
        }
        Outcome::Refused(err) => {
            let code = err.raw_os_error().unwrap_or_default();
            let message = io::Error::from_raw_os_error(code).to_string();
            // "Operation not permitted (os error 1)": keep the words only.
            let message = message.split(" (os error").next().unwrap_or_default();
            match errno_name(code) {
                Some(name) => format!("refused: {name} ({message})"),
                None => format!("refused: {message} (error {code})"),
            }
        }
    }
}

// ANCHOR: render_table
/// The probe's table, ready to print.
pub fn render_table(probes: &[Probe]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:<15} {:<8} result",
        "family", "type", "protocol"
    );
    for probe in probes {
        let asked = protocol_for(probe.family, probe.socket_type).map_or(0, i32::from);
        let _ = writeln!(
            out,
            "{:<9} {:<15} {:<8} {}",
            probe.family.constant(),
            probe.socket_type.constant(),
            asked,
            describe_outcome(probe)
        );
    }
    out
}
// ANCHOR_END: render_table

/// The capability Linux checks before it opens a raw socket.
const CAP_NET_RAW: u32 = 13;

/// May this process open raw sockets?
///
/// Linux does not ask "are you root?" but "do you hold `CAP_NET_RAW`?". Root
/// usually holds every capability; root in a locked-down container may not;
/// an ordinary user does not (unless a program was given it with `setcap`).
/// The effective set is in `/proc/self/status`, as the hex line `CapEff:`.
pub fn can_open_raw_sockets() -> bool {
    #[cfg(target_os = "linux")]
    {
        if let Some(caps) = effective_capabilities() {
            return caps & (1 << CAP_NET_RAW) != 0;
        }
    }
    // Elsewhere (or without /proc), root is the usual rule.
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(target_os = "linux")]
fn effective_capabilities() -> Option<u64> {
    let hex = book_support::observe::status_line(std::process::id(), "CapEff")?;
    u64::from_str_radix(&hex, 16).ok()
}

/// One line about who is asking, printed above the table.
pub fn who_is_asking() -> String {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let who = if uid == 0 { " (root)" } else { "" };
    let raw = if can_open_raw_sockets() { "yes" } else { "no" };
    format!(
        "{} {}, uid {uid}{who}, CAP_NET_RAW: {raw}",
        std::env::consts::OS,
        kernel_release()
    )
}

fn kernel_release() -> String {
    book_support::observe::sysctl("kernel.osrelease").unwrap_or_default()
}

/// The user and group id of `nobody` on Debian, Fedora and most others.
pub const NOBODY: u32 = 65_534;

/// What [`become_nobody`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// We were root and are now `nobody`, with no capabilities left.
    SwitchedFromRoot,
    /// We were not root: nothing to give up, nothing changed.
    AlreadyUnprivileged,
}

// ANCHOR: become_nobody
/// Gives up root, to see what an ordinary user would see.
///
/// Tests and CI run as root, where raw sockets work; a student usually is not
/// root, and gets `EPERM`. Switching to the user `nobody` shows both on one
/// machine. A process that changes its user id from 0 to another loses all
/// its capabilities, `CAP_NET_RAW` among them. It must be called while the
/// program has a single thread.
pub fn become_nobody() -> Result<Identity> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(Identity::AlreadyUnprivileged);
    }
    // Supplementary groups first (root's groups would stay otherwise), then
    // the group, then the user: once we are not root we may not change them.
    // SAFETY: a count of 0 with a null list is the documented way to clear them.
    check(unsafe { libc::setgroups(0, std::ptr::null()) }).context("setgroups([]) failed")?;
    // SAFETY: setgid and setuid take plain numbers and have no preconditions.
    check(unsafe { libc::setgid(NOBODY) }).context("setgid(nobody) failed")?;
    // SAFETY: as above.
    check(unsafe { libc::setuid(NOBODY) }).context("setuid(nobody) failed")?;
    if can_open_raw_sockets() {
        bail!("switched to uid {NOBODY} but still hold CAP_NET_RAW; the results would mislead");
    }
    Ok(Identity::SwitchedFromRoot)
}
// ANCHOR_END: become_nobody

fn check(result: libc::c_int) -> io::Result<()> {
    if result == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(f: Family, t: SocketType) -> Probe {
        try_socket(f, t)
    }

    #[test]
    fn streams_and_datagrams_open_in_every_family_that_exists_here() {
        for f in Family::ALL {
            for t in [SocketType::Stream, SocketType::Datagram] {
                let p = probe(f, t);
                if f == Family::Inet6 && p.errno() == Some(libc::EAFNOSUPPORT) {
                    eprintln!(
                        "IPv6 is disabled on this machine: AF_INET6 refused with EAFNOSUPPORT"
                    );
                    continue;
                }
                assert!(p.opened(), "{f:?} {t:?}: {}", describe_outcome(&p));
            }
        }
    }

    #[test]
    fn the_kernel_fills_in_tcp_and_udp_for_protocol_zero() {
        let p = probe(Family::Inet, SocketType::Stream);
        assert!(describe_outcome(&p).contains("protocol 6 (TCP)"), "{p:?}");
        let p = probe(Family::Inet, SocketType::Datagram);
        assert!(describe_outcome(&p).contains("protocol 17 (UDP)"), "{p:?}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_refuses_rdm_in_the_articles_families() {
        for f in Family::ALL {
            let p = probe(f, SocketType::ReliableDatagram);
            assert!(!p.opened(), "{f:?} SOCK_RDM opened");
            assert_eq!(
                p.errno(),
                Some(libc::ESOCKTNOSUPPORT),
                "{}",
                describe_outcome(&p)
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_has_unix_seqpacket_and_turns_unix_raw_into_dgram() {
        assert!(probe(Family::Unix, SocketType::SeqPacket).opened());
        let raw = probe(Family::Unix, SocketType::Raw);
        assert!(
            matches!(raw.outcome, Outcome::Opened { actual_type, .. } if actual_type == libc::SOCK_DGRAM),
            "{raw:?}"
        );
        assert_eq!(describe_outcome(&raw), "ok, but it is a SOCK_DGRAM");
    }

    #[test]
    fn raw_ip_sockets_open_exactly_when_we_hold_cap_net_raw() {
        let privileged = can_open_raw_sockets();
        for f in [Family::Inet, Family::Inet6] {
            let p = probe(f, SocketType::Raw);
            if p.errno() == Some(libc::EAFNOSUPPORT) {
                continue; // no IPv6 here
            }
            if privileged {
                assert!(p.opened(), "{f:?}: {}", describe_outcome(&p));
            } else {
                let errno = p.errno();
                assert!(
                    errno == Some(libc::EPERM) || errno == Some(libc::EACCES),
                    "{f:?} without CAP_NET_RAW: {}",
                    describe_outcome(&p)
                );
            }
        }
    }

    #[test]
    fn a_refusal_reads_as_its_c_name_and_message() {
        let p = Probe {
            family: Family::Inet,
            socket_type: SocketType::Raw,
            outcome: Outcome::Refused(io::Error::from_raw_os_error(libc::EPERM)),
        };
        assert_eq!(
            describe_outcome(&p),
            "refused: EPERM (Operation not permitted)"
        );
    }

    #[test]
    fn the_table_has_a_header_and_fifteen_rows() {
        let table = render_table(&probe_all());
        assert_eq!(table.lines().count(), 16, "{table}");
        assert!(table.starts_with("family"));
    }
}
