//! What an address is, family by family.
//!
//! - `AF_INET` and `AF_INET6`: an IP address and a port, `127.0.0.1:9999`
//!   or `[::1]:9999`. The IP address picks the machine (and the network
//!   interface), the port picks the program on it, like a phone number and
//!   an extension.
//! - `AF_UNIX`: a path in the file system, `/tmp/echo.sock`. `bind` creates a
//!   file of type *socket* there; anyone allowed to open the path can reach
//!   the socket.
//! - `AF_UNIX` on Linux also has *abstract* names: a name in a namespace of
//!   its own, not a file. The kernel marks them with a leading NUL byte; we
//!   write them `@name`, as `ss` and `netstat` do. No file is created, so
//!   there is nothing to clean up, and file permissions do not apply.

use std::ffi::OsStr;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use socket2::{Domain, SockAddr};

use crate::transport::Transport;

/// The article's chapter 1 has no port; we use the one its later chapters use.
pub const DEFAULT_PORT: u16 = 9999;

/// Servers bind loopback unless told otherwise: nobody else on the network
/// can reach them.
pub const DEFAULT_HOST: &str = "127.0.0.1";

/// The size of `sun_path` in `struct sockaddr_un`: 108 bytes on Linux, 104
/// on the BSDs and macOS. A path must fit in it with its final NUL byte.
pub const SUN_PATH_CAPACITY: usize =
    size_of::<libc::sockaddr_un>() - std::mem::offset_of!(libc::sockaddr_un, sun_path);

/// The longest Unix socket path, in bytes: the capacity less the NUL.
pub const MAX_UNIX_PATH: usize = SUN_PATH_CAPACITY - 1;

// ANCHOR: ip_address
/// The IP address and port a TCP or UDP socket binds or connects to.
///
/// The host must be a numeric address, IPv4 (`127.0.0.1`) or IPv6 (`::1`):
/// the family of the socket follows from it. Turning a name such as
/// `localhost` into addresses is a lookup that can return several answers
/// (`getaddrinfo`), the business of the next chapter.
pub fn ip_address(host: &str, port: u16) -> Result<SocketAddr> {
    // Accept the bracketed form `[::1]` too, as it appears in `[::1]:9999`.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let ip: IpAddr = bare.parse().with_context(|| {
        format!("`{host}` is not an IP address: give a numeric one, such as 127.0.0.1 or ::1")
    })?;
    Ok(SocketAddr::new(ip, port))
}
// ANCHOR_END: ip_address

/// A Unix domain socket's address: a path, or an abstract name (Linux).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnixAddress {
    /// A file system path; `bind` creates a socket file there.
    Path(PathBuf),
    /// A name in Linux's abstract namespace, without the leading NUL.
    Abstract(Vec<u8>),
}

impl UnixAddress {
    // ANCHOR: unix_parse
    /// Reads `/tmp/echo.sock` as a path and `@echo` as an abstract name,
    /// and refuses what the kernel would refuse, with a better message.
    pub fn parse(text: &str) -> Result<UnixAddress> {
        if let Some(name) = text.strip_prefix('@') {
            if !cfg!(any(target_os = "linux", target_os = "android")) {
                bail!("`{text}`: abstract socket names exist only on Linux");
            }
            if name.is_empty() {
                bail!("`@` needs a name after it, such as `@echo`");
            }
            // The leading NUL takes the place of the final one.
            if name.len() > MAX_UNIX_PATH {
                bail!(
                    "the abstract name `{name}` is {} bytes long; at most {MAX_UNIX_PATH} fit",
                    name.len()
                );
            }
            return Ok(UnixAddress::Abstract(name.as_bytes().to_vec()));
        }
        if text.is_empty() {
            bail!("the socket path is empty");
        }
        if text.len() > MAX_UNIX_PATH {
            bail!(
                "the socket path is {} bytes long; a Unix socket path can be at most \
                 {MAX_UNIX_PATH} bytes (the kernel's sun_path field holds {SUN_PATH_CAPACITY}, \
                 ending with a NUL byte): {text}",
                text.len()
            );
        }
        Ok(UnixAddress::Path(PathBuf::from(text)))
    }
    // ANCHOR_END: unix_parse

    /// The address in the form `bind` and `connect` take.
    pub fn to_sockaddr(&self) -> Result<SockAddr> {
        let bytes: Vec<u8> = match self {
            UnixAddress::Path(path) => path.as_os_str().as_bytes().to_vec(),
            UnixAddress::Abstract(name) => [&[0][..], name].concat(),
        };
        SockAddr::unix(OsStr::from_bytes(&bytes))
            .with_context(|| format!("`{self}` is not a valid Unix socket address"))
    }

    /// The file this address creates, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            UnixAddress::Path(path) => Some(path),
            UnixAddress::Abstract(_) => None,
        }
    }
}

impl fmt::Display for UnixAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnixAddress::Path(path) => write!(f, "{}", path.display()),
            UnixAddress::Abstract(name) => write!(f, "@{}", name.escape_ascii()),
        }
    }
}

/// Where a server listens or a client connects: one of the two kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// TCP or UDP, IPv4 or IPv6.
    Ip(SocketAddr),
    /// A Unix domain socket.
    Unix(UnixAddress),
}

impl Endpoint {
    /// The endpoint the command-line options describe: `--host` and `--port`
    /// for TCP and UDP, `--path` for the Unix transports.
    pub fn from_options(
        transport: Transport,
        host: &str,
        port: u16,
        path: Option<&str>,
    ) -> Result<Endpoint> {
        if transport.is_unix() {
            let Some(path) = path else {
                bail!("--transport {transport} needs --path PATH (or --path @name on Linux)");
            };
            Ok(Endpoint::Unix(UnixAddress::parse(path)?))
        } else {
            if path.is_some() {
                bail!("--path is for the unix transports; {transport} takes --host and --port");
            }
            Ok(Endpoint::Ip(ip_address(host, port)?))
        }
    }

    /// The address family, the first argument of `socket()`.
    pub fn domain(&self) -> Domain {
        match self {
            Endpoint::Ip(addr) => Domain::for_address(*addr),
            Endpoint::Unix(_) => Domain::UNIX,
        }
    }

    /// The address in the form `bind` and `connect` take.
    pub fn to_sockaddr(&self) -> Result<SockAddr> {
        match self {
            Endpoint::Ip(addr) => Ok(SockAddr::from(*addr)),
            Endpoint::Unix(unix) => unix.to_sockaddr(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Ip(addr) => write!(f, "{addr}"),
            Endpoint::Unix(unix) => write!(f, "{unix}"),
        }
    }
}

// ANCHOR: describe
/// Any socket address as a person reads it: `127.0.0.1:40000`,
/// `[::1]:40000`, `/tmp/echo.sock`, `@echo`, or `(unnamed)` for a Unix
/// socket that was never bound (a client, usually).
pub fn describe(addr: &SockAddr) -> String {
    if let Some(ip) = addr.as_socket() {
        return ip.to_string();
    }
    if let Some(path) = addr.as_pathname() {
        return path.display().to_string();
    }
    if let Some(name) = addr.as_abstract_namespace() {
        return format!("@{}", name.escape_ascii());
    }
    "(unnamed)".to_string()
}
// ANCHOR_END: describe

/// The same for the standard library's Unix socket addresses.
pub fn describe_unix(addr: &std::os::unix::net::SocketAddr) -> String {
    if let Some(path) = addr.as_pathname() {
        return path.display().to_string();
    }
    #[cfg(target_os = "linux")]
    {
        use std::os::linux::net::SocketAddrExt;
        if let Some(name) = addr.as_abstract_name() {
            return format!("@{}", name.escape_ascii());
        }
    }
    "(unnamed)".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_hosts_of_both_families_are_addresses() {
        assert_eq!(
            ip_address("127.0.0.1", 9).unwrap().to_string(),
            "127.0.0.1:9"
        );
        assert_eq!(ip_address("::1", 9).unwrap().to_string(), "[::1]:9");
        assert_eq!(ip_address("[::1]", 9).unwrap().to_string(), "[::1]:9");
    }

    #[test]
    fn a_name_is_not_an_address() {
        let err = ip_address("localhost", 9).unwrap_err();
        assert!(
            format!("{err:#}").contains("`localhost` is not an IP address"),
            "{err:#}"
        );
    }

    #[test]
    fn sun_path_holds_108_bytes_on_linux() {
        if cfg!(target_os = "linux") {
            assert_eq!(SUN_PATH_CAPACITY, 108);
        }
    }

    #[test]
    fn the_longest_path_fits_and_one_more_byte_does_not() {
        let fits = format!("/{}", "a".repeat(MAX_UNIX_PATH - 1));
        let address = UnixAddress::parse(&fits).unwrap();
        address.to_sockaddr().unwrap();
        let too_long = format!("{fits}a");
        let err = UnixAddress::parse(&too_long).unwrap_err();
        assert!(err.to_string().contains("can be at most"), "{err}");
        // socket2 agrees with our limit.
        assert!(SockAddr::unix(&too_long).is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_at_sign_makes_an_abstract_name() {
        let address = UnixAddress::parse("@echo").unwrap();
        assert_eq!(address, UnixAddress::Abstract(b"echo".to_vec()));
        assert_eq!(address.path(), None);
        let sockaddr = address.to_sockaddr().unwrap();
        assert_eq!(sockaddr.as_abstract_namespace(), Some(&b"echo"[..]));
        assert_eq!(describe(&sockaddr), "@echo");
    }

    #[test]
    fn each_transport_takes_its_own_kind_of_address() {
        let tcp = Endpoint::from_options(Transport::Tcp, "::1", 7, None).unwrap();
        assert_eq!(tcp.domain(), Domain::IPV6);
        let unix =
            Endpoint::from_options(Transport::UnixDgram, "", 0, Some("/tmp/x.sock")).unwrap();
        assert_eq!(unix.to_string(), "/tmp/x.sock");
        let err = Endpoint::from_options(Transport::UnixStream, "127.0.0.1", 7, None).unwrap_err();
        assert!(err.to_string().contains("needs --path"), "{err}");
        let err = Endpoint::from_options(Transport::Udp, "127.0.0.1", 7, Some("x")).unwrap_err();
        assert!(
            err.to_string()
                .contains("--path is for the unix transports"),
            "{err}"
        );
    }
}
