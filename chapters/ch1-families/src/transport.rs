//! The combinations of family and type that carry data between two programs.
//!
//! Of the fifteen pairs the probe tries, seven are the everyday ones: TCP
//! and UDP (each over IPv4 or IPv6, chosen by the address), and the three
//! types of Unix domain socket. Two questions tell them apart:
//!
//! - Is there a *connection*? A stream or seqpacket server `listen`s and
//!   `accept`s, and gets one new socket per client. A datagram server has
//!   one socket for everybody and learns who sent each message from
//!   `recv_from`.
//! - Are *message boundaries* kept? Three sends of a datagram or seqpacket
//!   socket arrive as three messages. Three writes to a stream can arrive as
//!   one read, or as five: a stream is bytes in order, nothing more.

use socket2::Type;

// ANCHOR: transport
/// One of the seven ways the echo programs talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// `AF_INET`/`AF_INET6` + `SOCK_STREAM`: TCP.
    Tcp,
    /// `AF_INET`/`AF_INET6` + `SOCK_DGRAM`: UDP.
    Udp,
    /// `AF_UNIX` + `SOCK_STREAM`.
    UnixStream,
    /// `AF_UNIX` + `SOCK_DGRAM`.
    UnixDgram,
    /// `AF_UNIX` + `SOCK_SEQPACKET`.
    UnixSeqpacket,
}
// ANCHOR_END: transport

impl Transport {
    /// All five transports (TCP and UDP each run over IPv4 and IPv6).
    pub const ALL: [Transport; 5] = [
        Transport::Tcp,
        Transport::Udp,
        Transport::UnixStream,
        Transport::UnixDgram,
        Transport::UnixSeqpacket,
    ];

    /// The name used on the command line: `tcp`, `unix-dgram`, ...
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::UnixStream => "unix-stream",
            Transport::UnixDgram => "unix-dgram",
            Transport::UnixSeqpacket => "unix-seqpacket",
        }
    }

    /// The socket type, the second argument of `socket()`.
    pub fn socket_type(self) -> Type {
        match self {
            Transport::Tcp | Transport::UnixStream => Type::STREAM,
            Transport::Udp | Transport::UnixDgram => Type::DGRAM,
            Transport::UnixSeqpacket => Type::SEQPACKET,
        }
    }

    /// Is it addressed by a path (or an abstract name) rather than IP and port?
    pub fn is_unix(self) -> bool {
        matches!(
            self,
            Transport::UnixStream | Transport::UnixDgram | Transport::UnixSeqpacket
        )
    }

    /// Does a server `listen` and `accept` a connection per client?
    pub fn is_connection_oriented(self) -> bool {
        !self.is_datagram()
    }

    /// One socket for everybody, a sender address with every message?
    pub fn is_datagram(self) -> bool {
        matches!(self, Transport::Udp | Transport::UnixDgram)
    }

    /// Does each send arrive as exactly one message?
    pub fn keeps_message_boundaries(self) -> bool {
        !matches!(self, Transport::Tcp | Transport::UnixStream)
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn the_command_line_names_are_the_names() {
        for t in Transport::ALL {
            let value = t.to_possible_value().unwrap();
            assert_eq!(value.get_name(), t.name());
        }
    }

    #[test]
    fn only_streams_lose_boundaries_and_only_datagrams_have_no_connection() {
        use Transport::*;
        let lose: Vec<_> = Transport::ALL
            .into_iter()
            .filter(|t| !t.keeps_message_boundaries())
            .collect();
        assert_eq!(lose, [Tcp, UnixStream]);
        let connectionless: Vec<_> = Transport::ALL
            .into_iter()
            .filter(|t| !t.is_connection_oriented())
            .collect();
        assert_eq!(connectionless, [Udp, UnixDgram]);
    }
}
