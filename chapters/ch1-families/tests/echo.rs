//! The echo pair over every family and type: what they share (every line
//! comes back) and what tells them apart (message boundaries, connections).

use crate::common;

use common::{Case, Running, text};

#[test]
fn every_transport_echoes_each_line() {
    for case in Case::ALL {
        let Some(running) = Running::start(case, "echo", &[]) else {
            continue;
        };
        let output = running.client(&[], "hello\nsecond line\n").success();
        assert_eq!(
            text(&output.get_output().stdout),
            "hello\nsecond line\n",
            "{case:?}"
        );
    }
}

#[test]
fn empty_lines_are_skipped_and_line_endings_are_not_sent() {
    let running = Running::start(Case::UnixSeqpacket, "line endings", &[]).unwrap();
    let output = running.client(&[], "a\r\n\n\nb").success();
    assert_eq!(text(&output.get_output().stdout), "a\nb\n");
    running.log_line("read 1 byte \"a\"");
    running.log_line("read 1 byte \"b\"");
}

#[test]
fn a_long_line_comes_back_whole_over_every_transport() {
    // 20,000 bytes: more than one TCP segment on most links, one datagram.
    let line = "x".repeat(20_000);
    for case in Case::ALL {
        let Some(running) = Running::start(case, "long line", &[]) else {
            continue;
        };
        let output = running.client(&[], &format!("{line}\n")).success();
        assert_eq!(
            text(&output.get_output().stdout),
            format!("{line}\n"),
            "{case:?}"
        );
    }
}

/// Three sends, all echoed before the client reads anything.
const THREE: &str = "one\ntwo\nthree\n";

#[test]
fn message_types_keep_boundaries_three_sends_three_reads() {
    for case in Case::ALL.into_iter().filter(|c| c.keeps_boundaries()) {
        let Some(running) = Running::start(case, "boundaries", &[]) else {
            continue;
        };
        let output = running.client(&["--send-all-first"], THREE).success();
        let stdout = text(&output.get_output().stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 5, "{case:?}: {stdout}");
        assert_eq!(lines[0], "sent 3 messages in 3 sends", "{case:?}");
        assert_eq!(lines[4], "3 messages came back in 3 reads", "{case:?}");
        let mut reads: Vec<&str> = lines[1..4]
            .iter()
            .map(|l| &l[l.find(':').unwrap()..])
            .collect();
        if matches!(case, Case::Udp4 | Case::Udp6) {
            // UDP promises boundaries, not order; loopback keeps it, but we
            // do not test what is not promised.
            reads.sort();
        }
        let mut expected = [
            ": 3 bytes \"one\"",
            ": 3 bytes \"two\"",
            ": 5 bytes \"three\"",
        ];
        if matches!(case, Case::Udp4 | Case::Udp6) {
            expected.sort();
        }
        assert_eq!(reads, expected, "{case:?}: {stdout}");
    }
}

#[test]
fn streams_lose_boundaries_three_sends_one_read() {
    for case in Case::ALL.into_iter().filter(|c| !c.keeps_boundaries()) {
        let Some(running) = Running::start(case, "stream merging", &[]) else {
            continue;
        };
        let output = running.client(&["--send-all-first"], THREE).success();
        assert_eq!(
            text(&output.get_output().stdout),
            "sent 3 messages in 3 sends\n\
             read 1: 11 bytes \"onetwothree\"\n\
             3 messages came back in 1 read\n",
            "{case:?}"
        );
    }
}

#[test]
fn a_stream_promises_the_bytes_in_order_and_nothing_about_pieces() {
    // What a stream guarantees, whatever the timing: all bytes, in order.
    // The server's log shows the pieces it happened to read; we only check
    // that they add up.
    for case in [Case::Tcp4, Case::UnixStream] {
        let running = Running::start(case, "stream bytes", &[]).unwrap();
        running.client(&["--send-all-first"], THREE).success();
        let closed = running.log_line("closed after");
        assert!(closed.ends_with(", 11 bytes"), "{case:?}: {closed}");
    }
}

#[test]
fn a_seqpacket_server_reads_each_message_alone() {
    let running = Running::start(Case::UnixSeqpacket, "seqpacket server", &[]).unwrap();
    running.client(&["--send-all-first"], THREE).success();
    running.log_line("connection 1: read 3 bytes \"one\"");
    running.log_line("connection 1: read 3 bytes \"two\"");
    running.log_line("connection 1: read 5 bytes \"three\"");
    running.log_line("connection 1: closed after 3 reads, 11 bytes");
}

#[test]
fn a_datagram_server_learns_each_senders_address() {
    for case in Case::ALL.into_iter().filter(|c| c.is_datagram()) {
        let Some(running) = Running::start(case, "datagram senders", &[]) else {
            continue;
        };
        running.client(&[], "ping\n").success();
        let line = running.log_line("datagram from");
        let expected_start = match case {
            Case::Udp4 => "datagram from 127.0.0.1:",
            Case::Udp6 => "datagram from [::1]:",
            // Linux gave the client an abstract name of its choosing.
            _ => "datagram from @",
        };
        assert!(line.starts_with(expected_start), "{case:?}: {line}");
        assert!(
            line.ends_with(": 4 bytes \"ping\", echoed"),
            "{case:?}: {line}"
        );
    }
}

#[test]
fn a_connection_server_sees_one_connection_per_client() {
    for case in Case::ALL.into_iter().filter(|c| !c.is_datagram()) {
        let Some(running) = Running::start(case, "connections", &[]) else {
            continue;
        };
        running.client(&[], "a\n").success();
        running.client(&[], "b\n").success();
        let first = running.log_line("connection 1 from");
        running.log_line("connection 2 from");
        let expected = match case {
            Case::Tcp4 => "from 127.0.0.1:",
            Case::Tcp6 => "from [::1]:",
            // A Unix client that did not bind has no name.
            _ => "from (unnamed)",
        };
        assert!(first.contains(expected), "{case:?}: {first}");
    }
}

#[test]
fn the_server_announces_the_address_it_really_has() {
    for case in Case::ALL {
        let Some(running) = Running::start(case, "announce", &[]) else {
            continue;
        };
        let address = running.server.address();
        match case.host() {
            Some(host) => {
                let addr = running.server.socket_addr().unwrap();
                assert_eq!(addr.ip().to_string(), host, "{case:?}");
                assert_ne!(addr.port(), 0, "{case:?}: port 0 must become a real port");
            }
            None => {
                assert_eq!(running.path(), running.dir.path().join("echo.sock"));
                assert!(
                    running.path().exists(),
                    "{case:?}: no socket file at {address}"
                );
            }
        }
    }
}
