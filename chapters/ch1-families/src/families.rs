//! The article's address families (地址簇) and socket types, with their names
//! in Python, Rust and C.
//!
//! Python's `socket.socket(family, type, proto)`, C's `socket(2)` and
//! socket2's `Socket::new(domain, type, protocol)` are one call under three
//! names: the first argument says which *family* of addresses the socket uses
//! (and so which network stack handles it), the second what *type* of
//! conversation it has, the third which protocol of that family and type
//! (0, or `None` in socket2, means "the usual one").
//!
//! Rust's standard library does not take these arguments at all: each of its
//! socket types (`TcpStream`, `UdpSocket`, `UnixDatagram`, ...) is one fixed
//! family-and-type pair. To choose freely, as the article does, we use the
//! `socket2` crate.

use socket2::{Domain, Protocol, Type};

/// An address family: the first argument of `socket()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `AF_UNIX`: processes on the same machine, addressed by a file path.
    Unix,
    /// `AF_INET`: IPv4, addressed by a 32-bit address and a port.
    Inet,
    /// `AF_INET6`: IPv6, addressed by a 128-bit address and a port.
    Inet6,
}

impl Family {
    /// The three families of the article, in its order.
    pub const ALL: [Family; 3] = [Family::Unix, Family::Inet, Family::Inet6];

    /// The constant's name; the same in C and (after `socket.`) in Python.
    pub fn constant(self) -> &'static str {
        match self {
            Family::Unix => "AF_UNIX",
            Family::Inet => "AF_INET",
            Family::Inet6 => "AF_INET6",
        }
    }

    /// The family as socket2 names it.
    pub fn domain(self) -> Domain {
        match self {
            Family::Unix => Domain::UNIX,
            Family::Inet => Domain::IPV4,
            Family::Inet6 => Domain::IPV6,
        }
    }
}

/// A socket type: the second argument of `socket()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketType {
    /// `SOCK_STREAM`: a connection carrying a stream of bytes, in order,
    /// with no message boundaries. TCP in the IP families.
    Stream,
    /// `SOCK_DGRAM`: separate messages (datagrams), each delivered whole or
    /// not at all. UDP in the IP families; never lost or reordered in
    /// `AF_UNIX`.
    Datagram,
    /// `SOCK_RAW`: packets of a protocol below TCP and UDP (ICMP, say), or
    /// whole IP packets. Needs privilege (`CAP_NET_RAW` on Linux).
    Raw,
    /// `SOCK_RDM`: "reliably delivered messages". Defined by the C headers,
    /// implemented on Linux only by TIPC and RDS, refused by the families of
    /// the article.
    ReliableDatagram,
    /// `SOCK_SEQPACKET`: a connection carrying messages: boundaries kept,
    /// order kept, nothing lost. `AF_UNIX` on Linux; SCTP in the IP families.
    SeqPacket,
}

impl SocketType {
    /// The five types of the article, in its order.
    pub const ALL: [SocketType; 5] = [
        SocketType::Stream,
        SocketType::Datagram,
        SocketType::Raw,
        SocketType::ReliableDatagram,
        SocketType::SeqPacket,
    ];

    /// The constant's name; the same in C and (after `socket.`) in Python.
    pub fn constant(self) -> &'static str {
        match self {
            SocketType::Stream => "SOCK_STREAM",
            SocketType::Datagram => "SOCK_DGRAM",
            SocketType::Raw => "SOCK_RAW",
            SocketType::ReliableDatagram => "SOCK_RDM",
            SocketType::SeqPacket => "SOCK_SEQPACKET",
        }
    }

    // ANCHOR: socket2_type
    /// The type as socket2 names it.
    ///
    /// socket2 has no constant for `SOCK_RDM` (nothing it supports uses it),
    /// but any number the C headers define can be turned into a `Type`.
    pub fn socket2_type(self) -> Type {
        match self {
            SocketType::Stream => Type::STREAM,
            SocketType::Datagram => Type::DGRAM,
            SocketType::Raw => Type::RAW,
            SocketType::ReliableDatagram => Type::from(libc::SOCK_RDM),
            SocketType::SeqPacket => Type::SEQPACKET,
        }
    }
    // ANCHOR_END: socket2_type

    /// The type whose C value is `value`, if it is one of the five.
    pub fn from_raw(value: i32) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| i32::from(t.socket2_type()) == value)
    }
}

// ANCHOR: protocol_for
/// The protocol to ask for, the third argument of `socket()`.
///
/// For most pairs it is 0 (`None`): "the usual protocol of this family and
/// type", which the kernel fills in (TCP for an IP stream, UDP for an IP
/// datagram). A raw socket has no usual protocol: it must say which packets
/// it wants, so we ask for ICMP (what `ping` uses).
pub fn protocol_for(family: Family, socket_type: SocketType) -> Option<Protocol> {
    match (family, socket_type) {
        (Family::Inet, SocketType::Raw) => Some(Protocol::ICMPV4),
        (Family::Inet6, SocketType::Raw) => Some(Protocol::ICMPV6),
        _ => None,
    }
}
// ANCHOR_END: protocol_for

/// The name of an IP protocol number, for the few this chapter meets.
pub fn protocol_name(protocol: i32) -> Option<&'static str> {
    match protocol {
        libc::IPPROTO_ICMP => Some("ICMP"),
        libc::IPPROTO_TCP => Some("TCP"),
        libc::IPPROTO_UDP => Some("UDP"),
        libc::IPPROTO_ICMPV6 => Some("ICMPv6"),
        libc::IPPROTO_SCTP => Some("SCTP"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_c_value() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_raw(t.socket2_type().into()), Some(t));
        }
    }

    #[test]
    fn the_constants_are_the_c_values() {
        assert_eq!(
            i32::from(SocketType::Stream.socket2_type()),
            libc::SOCK_STREAM
        );
        assert_eq!(
            i32::from(SocketType::ReliableDatagram.socket2_type()),
            libc::SOCK_RDM
        );
        assert_eq!(i32::from(Family::Inet6.domain()), libc::AF_INET6);
        assert_eq!(i32::from(Family::Unix.domain()), libc::AF_UNIX);
    }

    #[test]
    fn only_raw_sockets_name_a_protocol() {
        for f in Family::ALL {
            for t in SocketType::ALL {
                let named = protocol_for(f, t).is_some();
                assert_eq!(
                    named,
                    t == SocketType::Raw && f != Family::Unix,
                    "{f:?} {t:?}"
                );
            }
        }
    }
}
