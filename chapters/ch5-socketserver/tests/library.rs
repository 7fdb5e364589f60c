//! The library in-process: one test (at least) for each row of the chapter's
//! checklist of Python `socketserver` features.

use crate::common;

use std::io::{self, BufRead, ErrorKind, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use book_support::check::again_if_interrupted;
use ch5_socketserver::concurrency::{ConcurrencyModel, Forking, Synchronous, Threading};
use ch5_socketserver::handler::{Handler, RequestError};
use ch5_socketserver::request::{DatagramRequest, Request, StreamOptions, StreamRequest};
use ch5_socketserver::server::{Served, Server};
use ch5_socketserver::transport::{
    BindOptions, TcpTransport, Transport, UdpTransport, UnixDatagramTransport, UnixStreamTransport,
};
use ch5_socketserver::upper::Upper;
use common::BOUND;
use socket2::SockRef;

type Tcp = StreamRequest<TcpStream>;

fn tcp() -> TcpTransport {
    TcpTransport::bind("127.0.0.1:0", &BindOptions::default()).unwrap()
}

fn connect<T: Transport>(
    server: &Server<T, impl Handler<T::Request>, impl ConcurrencyModel>,
) -> TcpStream {
    let s = TcpStream::connect(server.server_address()).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    s
}

fn ask(stream: &mut TcpStream, message: &str) -> String {
    stream.write_all(format!("{message}\n").as_bytes()).unwrap();
    let mut got = vec![0; message.trim().len()];
    stream.read_exact(&mut got).unwrap();
    String::from_utf8(got).unwrap()
}

/// Runs `serve_forever` on a thread; returns its handle and the join.
fn serve_in_background<T, H, M>(
    mut server: Server<T, H, M>,
) -> (
    ch5_socketserver::shutdown::ShutdownHandle,
    thread::JoinHandle<Server<T, H, M>>,
)
where
    T: Transport,
    H: Handler<T::Request>,
    M: ConcurrencyModel,
{
    let handle = server.shutdown_handle();
    let join = thread::spawn(move || {
        server.serve_forever(Duration::from_secs(60)).unwrap();
        server
    });
    (handle, join)
}

// ---- transports, addresses, socket options --------------------------------

#[test]
fn server_address_is_the_real_address_with_port_0_resolved() {
    let server = Server::new(tcp(), Upper::default(), Synchronous).unwrap();
    let addr: std::net::SocketAddr = server.server_address().parse().unwrap();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    let udp = UdpTransport::bind("127.0.0.1:0", &BindOptions::default()).unwrap();
    assert_ne!(udp.local_addr().unwrap().port(), 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let unix = UnixStreamTransport::bind(&path, &BindOptions::default()).unwrap();
    assert_eq!(unix.server_address(), path.display().to_string());
}

#[test]
fn allow_reuse_address_sets_so_reuseaddr() {
    for reuse in [true, false] {
        let options = BindOptions {
            allow_reuse_address: reuse,
            ..BindOptions::default()
        };
        let t = TcpTransport::bind("127.0.0.1:0", &options).unwrap();
        assert_eq!(SockRef::from(t.listener()).reuse_address().unwrap(), reuse);
    }
}

#[test]
fn allow_reuse_port_lets_two_servers_share_a_port() {
    let shared = BindOptions {
        allow_reuse_port: true,
        ..BindOptions::default()
    };
    let first = TcpTransport::bind("127.0.0.1:0", &shared).unwrap();
    let port = first.local_addr().unwrap().port();
    let second = TcpTransport::bind(("127.0.0.1", port), &shared).unwrap();
    assert_eq!(second.local_addr().unwrap().port(), port);
    // Without it, the second bind fails.
    let alone = TcpTransport::bind(("127.0.0.1", port), &BindOptions::default()).unwrap_err();
    assert_eq!(alone.kind(), ErrorKind::AddrInUse);
}

#[test]
fn request_queue_size_is_the_listen_backlog() {
    let options = BindOptions {
        request_queue_size: 37,
        ..BindOptions::default()
    };
    let t = TcpTransport::bind("127.0.0.1:0", &options).unwrap();
    let port = t.local_addr().unwrap().port();
    // For a listening socket, `ss` shows the backlog in the Send-Q column.
    let Ok(out) = Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
    else {
        eprintln!("SKIPPED: ss not found");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let send_q: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(send_q.get(2), Some(&"37"), "ss said: {text}");
}

// ---- handle_request, serve_forever, shutdown --------------------------------

#[test]
fn handle_request_times_out_when_nobody_comes() {
    let mut server = Server::new(tcp(), Upper::default(), Synchronous).unwrap();
    let t = Instant::now();
    assert_eq!(
        server
            .handle_request(Some(Duration::from_millis(50)))
            .unwrap(),
        Served::TimedOut
    );
    assert!(t.elapsed() >= Duration::from_millis(50));
}

#[test]
fn handle_request_serves_exactly_one_request() {
    let mut server = Server::new(tcp(), Upper::default(), Synchronous).unwrap();
    let mut first = connect(&server);
    let mut second = connect(&server);
    first.write_all(b"one\n").unwrap();
    first.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(server.handle_request(Some(BOUND)).unwrap(), Served::Request);
    let mut answer = String::new();
    first.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "ONE");
    // The second client waits in the queue, unserved, until the next call.
    second
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    second.write_all(b"two\n").unwrap();
    let mut buf = [0; 3];
    assert!(
        again_if_interrupted(|| second.read(&mut buf)).is_err(),
        "nobody should have answered"
    );
}

#[test]
fn shutdown_stops_serve_forever_at_once_whatever_the_poll_interval() {
    let server = Server::new(tcp(), Upper::default(), Threading::new()).unwrap();
    let mut client = connect(&server);
    let (handle, join) = serve_in_background(server); // poll interval: 60 s
    assert_eq!(ask(&mut client, "running?"), "RUNNING?");
    let t = Instant::now();
    handle.shutdown();
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t.elapsed()
    );
    drop(join.join().unwrap());
    // The open connection was stopped reading, so its handler ended.
    assert!(common::read_to_end(&mut client).is_empty());
}

#[test]
fn shutdown_when_no_loop_runs_returns_and_the_next_loop_ends_at_once() {
    let mut server = Server::new(tcp(), Upper::default(), Synchronous).unwrap();
    let t = Instant::now();
    server.shutdown_handle().shutdown(); // Python's would wait for ever here
    server.serve_forever(Duration::from_secs(60)).unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
}

/// Shuts the server down from inside its own handler.
#[derive(Debug)]
struct StopFromInside(Mutex<Option<ch5_socketserver::shutdown::ShutdownHandle>>);

impl Handler<Tcp> for StopFromInside {
    fn handle(&self, request: &mut Tcp) -> io::Result<()> {
        if let Some(h) = self.0.lock().unwrap().as_ref() {
            h.shutdown();
        }
        request.wfile.write_all(b"bye")
    }
}

#[test]
fn shutdown_from_a_handler_of_a_synchronous_server_does_not_deadlock() {
    let mut server = Server::new(tcp(), StopFromInside(Mutex::new(None)), Synchronous).unwrap();
    *server.handler().0.lock().unwrap() = Some(server.shutdown_handle());
    let mut client = connect(&server);
    let t = Instant::now();
    server.serve_forever(Duration::from_secs(60)).unwrap();
    assert!(t.elapsed() < Duration::from_secs(5));
    let mut got = String::new();
    client.read_to_string(&mut got).unwrap();
    assert_eq!(got, "bye");
}

/// Tells the test when a request arrived, then waits to be released.
#[derive(Debug)]
struct Gate {
    arrived: Mutex<Sender<()>>,
    release: Mutex<Receiver<()>>,
}

impl Handler<Tcp> for Gate {
    fn handle(&self, request: &mut Tcp) -> io::Result<()> {
        let mut line = Vec::new();
        while request.rfile.read_until(b'\n', &mut line)? > 0 {
            self.arrived.lock().unwrap().send(()).unwrap();
            self.release.lock().unwrap().recv_timeout(BOUND).unwrap();
            request
                .wfile
                .write_all(&line.trim_ascii().to_ascii_uppercase())?;
            request.wfile.flush()?;
            line.clear();
        }
        Ok(())
    }
}

#[test]
fn shutdown_answers_the_request_in_flight_then_ends_the_connection() {
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let gate = Gate {
        arrived: Mutex::new(arrived_tx),
        release: Mutex::new(release_rx),
    };
    let server = Server::new(tcp(), gate, Threading::new()).unwrap();
    let mut client = connect(&server);
    let (handle, join) = serve_in_background(server);
    client.write_all(b"in flight\n").unwrap();
    arrived.recv_timeout(BOUND).unwrap(); // the handler holds the request
    handle.shutdown(); // the loop stops; the connection stops reading
    release.send(()).unwrap();
    drop(join.join().unwrap()); // server_close: waits for the handler
    // The request in flight was answered; then the connection ended.
    let mut got = String::new();
    client.read_to_string(&mut got).unwrap();
    assert_eq!(got, "IN FLIGHT");
}

// ---- verify_request, handle_error, the life cycle ---------------------------

/// Records its life cycle; fails or panics on request.
#[derive(Debug, Default)]
struct Probe {
    log: Mutex<Vec<String>>,
}

impl Probe {
    fn log(&self, event: impl Into<String>) {
        self.log.lock().unwrap().push(event.into());
    }
    fn events(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Handler<Tcp> for Probe {
    fn verify_request(&self, request: &Tcp) -> bool {
        // Reject clients from 127.0.0.2 (all of 127/8 is loopback).
        !request.client_address.starts_with("127.0.0.2:")
    }
    fn setup(&self, _: &mut Tcp) -> io::Result<()> {
        self.log("setup");
        Ok(())
    }
    fn handle(&self, request: &mut Tcp) -> io::Result<()> {
        self.log("handle");
        let mut line = String::new();
        request.rfile.read_line(&mut line)?;
        match line.trim() {
            "fail" => Err(io::Error::other("asked to fail")),
            "panic" => panic!("asked to panic"),
            other => request.wfile.write_all(other.to_uppercase().as_bytes()),
        }
    }
    fn finish(&self, _: &mut Tcp) -> io::Result<()> {
        self.log("finish");
        Ok(())
    }
    fn handle_error(&self, _client: &str, error: &RequestError) {
        self.log(format!("error: {error}"));
    }
}

/// A client connecting from `ip`, a loopback address: verify_request
/// accepts 127.0.0.1 and rejects 127.0.0.2.
fn client_from<T: Transport, M: ConcurrencyModel>(
    server: &Server<T, Probe, M>,
    ip: &str,
) -> TcpStream
where
    Probe: Handler<T::Request>,
{
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    let local: std::net::SocketAddr = format!("{ip}:0").parse().unwrap();
    socket.bind(&local.into()).unwrap();
    let addr: std::net::SocketAddr = server.server_address().parse().unwrap();
    socket.connect(&addr.into()).unwrap();
    let s: TcpStream = socket.into();
    s.set_read_timeout(Some(BOUND)).unwrap();
    s
}

#[test]
fn verify_request_rejects_a_client_before_any_handling() {
    let mut server = Server::new(tcp(), Probe::default(), Synchronous).unwrap();
    let mut rejected = client_from(&server, "127.0.0.2");
    rejected.write_all(b"let me in\n").unwrap();
    server.handle_request(Some(BOUND)).unwrap();
    assert!(
        common::read_to_end(&mut rejected).is_empty(),
        "closed unanswered"
    );
    assert!(
        server.handler().events().is_empty(),
        "{:?}",
        server.handler().events()
    );
    // The next client is served.
    let mut accepted = client_from(&server, "127.0.0.1");
    accepted.write_all(b"hello\n").unwrap();
    server.handle_request(Some(BOUND)).unwrap();
    assert_eq!(common::read_to_end(&mut accepted), b"HELLO");
}

#[test]
fn finish_runs_when_handle_fails_or_panics_and_the_server_serves_on() {
    let mut server = Server::new(tcp(), Probe::default(), Synchronous).unwrap();
    for (message, answer) in [("fail", ""), ("panic", ""), ("fine", "FINE")] {
        let mut client = client_from(&server, "127.0.0.1");
        client.write_all(format!("{message}\n").as_bytes()).unwrap();
        server.handle_request(Some(BOUND)).unwrap();
        let got = common::read_to_end(&mut client);
        assert_eq!(String::from_utf8_lossy(&got), answer);
    }
    let events = server.handler().events();
    assert_eq!(
        events,
        [
            "setup",
            "handle",
            "finish",
            "error: asked to fail",
            "setup",
            "handle",
            "finish",
            "error: the handler panicked: asked to panic",
            "setup",
            "handle",
            "finish",
        ]
    );
}

// ---- StreamRequestHandler and DatagramRequestHandler --------------------------

/// Answers with the connection's settings as the handler sees them.
#[derive(Debug)]
struct Settings;

impl Handler<Tcp> for Settings {
    fn handle(&self, request: &mut Tcp) -> io::Result<()> {
        let socket = request.rfile.get_ref();
        let text = format!(
            "nodelay={} timeout={:?}",
            socket.nodelay()?,
            socket.read_timeout()?
        );
        request.wfile.write_all(text.as_bytes())
    }
}

#[test]
fn stream_options_set_the_timeout_and_tcp_nodelay_of_each_connection() {
    for (options, expect) in [
        (StreamOptions::default(), "nodelay=false timeout=None"),
        (
            StreamOptions {
                timeout: Some(Duration::from_millis(1500)),
                disable_nagle_algorithm: true,
            },
            "nodelay=true timeout=Some(1.5s)",
        ),
    ] {
        let t = tcp().with_stream_options(options);
        let mut server = Server::new(t, Settings, Synchronous).unwrap();
        let mut client = connect(&server);
        server.handle_request(Some(BOUND)).unwrap();
        assert_eq!(
            String::from_utf8(common::read_to_end(&mut client)).unwrap(),
            expect
        );
    }
}

#[test]
fn a_stream_timeout_ends_a_silent_connection_with_a_reported_error() {
    let t = tcp().with_stream_options(StreamOptions {
        timeout: Some(Duration::from_millis(100)),
        disable_nagle_algorithm: false,
    });
    let mut server = Server::new(t, Probe::default(), Synchronous).unwrap();
    let mut silent = client_from(&server, "127.0.0.1");
    server.handle_request(Some(BOUND)).unwrap();
    assert!(common::read_to_end(&mut silent).is_empty());
    let events = server.handler().events();
    assert!(
        events
            .iter()
            .any(|e| e.contains("temporarily unavailable") || e.contains("timed out")),
        "{events:?}"
    );
}

#[test]
fn rfile_keeps_the_bytes_after_a_line_for_the_next_read() {
    let mut server = Server::new(tcp(), Upper::default(), Synchronous).unwrap();
    let mut client = connect(&server);
    client.write_all(b"first\nsecond\n third \n").unwrap(); // one write, three lines
    client.shutdown(std::net::Shutdown::Write).unwrap();
    server.handle_request(Some(BOUND)).unwrap();
    assert_eq!(common::read_to_end(&mut client), b"FIRSTSECONDTHIRD");
}

#[test]
fn a_datagram_reply_goes_back_to_its_sender_over_udp() {
    let t = UdpTransport::bind("127.0.0.1:0", &BindOptions::default()).unwrap();
    let addr = t.local_addr().unwrap();
    let mut server = Server::new(t, Upper::default(), Synchronous).unwrap();
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    for (socket, message, answer) in [(&a, "from a", "FROM A"), (&b, " from b ", "FROM B")] {
        socket.set_read_timeout(Some(BOUND)).unwrap();
        socket.send_to(message.as_bytes(), addr).unwrap();
        server.handle_request(Some(BOUND)).unwrap();
        let mut buf = [0; 100];
        let (n, from) = again_if_interrupted(|| socket.recv_from(&mut buf)).unwrap();
        assert_eq!((&buf[..n], from), (answer.as_bytes(), addr));
    }
}

#[test]
fn a_datagram_reply_goes_back_to_its_sender_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let t = UnixDatagramTransport::bind(dir.path().join("server.sock")).unwrap();
    let mut server = Server::new(t, Upper::default(), Synchronous).unwrap();
    let client = UnixDatagram::bind(dir.path().join("client.sock")).unwrap();
    client.set_read_timeout(Some(BOUND)).unwrap();
    client
        .send_to(b"unix", dir.path().join("server.sock"))
        .unwrap();
    server.handle_request(Some(BOUND)).unwrap();
    let mut buf = [0; 100];
    let n = again_if_interrupted(|| client.recv(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"UNIX");
}

#[test]
fn a_datagram_request_sees_the_whole_packet() {
    #[derive(Debug)]
    struct Length;
    impl Handler<DatagramRequest<UdpSocket>> for Length {
        fn handle(&self, request: &mut DatagramRequest<UdpSocket>) -> io::Result<()> {
            request.reply = request.packet.len().to_string().into_bytes();
            Ok(())
        }
    }
    let t = UdpTransport::bind("127.0.0.1:0", &BindOptions::default()).unwrap();
    let addr = t.local_addr().unwrap();
    let mut server = Server::new(t, Length, Synchronous).unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(BOUND)).unwrap();
    client.send_to(&[b'x'; 8192], addr).unwrap(); // exactly max_packet_size
    server.handle_request(Some(BOUND)).unwrap();
    let mut buf = [0; 100];
    let n = again_if_interrupted(|| client.recv(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"8192");
}

// ---- concurrency models and closing ------------------------------------------

#[test]
fn threading_runs_requests_at_once_and_close_waits_for_them() {
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let gate = Gate {
        arrived: Mutex::new(arrived_tx),
        release: Mutex::new(release_rx),
    };
    let mut server = Server::new(tcp(), gate, Threading::new()).unwrap();
    let mut clients: Vec<TcpStream> = (0..2).map(|_| connect(&server)).collect();
    for c in &mut clients {
        c.write_all(b"x\n").unwrap();
    }
    server.handle_request(Some(BOUND)).unwrap();
    server.handle_request(Some(BOUND)).unwrap();
    // Both handlers hold a request at the same time: two threads.
    arrived.recv_timeout(BOUND).unwrap();
    arrived.recv_timeout(BOUND).unwrap();
    assert_eq!(server.model().active(), 2);
    let releaser = thread::spawn(move || {
        release.send(()).unwrap();
        release.send(()).unwrap();
    });
    drop(server); // block_on_close: returns once both are answered
    for c in &mut clients {
        assert_eq!(common::read_to_end(c), b"X");
    }
    releaser.join().unwrap();
}

#[test]
fn threading_without_block_on_close_leaves_handlers_running() {
    let (arrived_tx, arrived) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<()>();
    let gate = Gate {
        arrived: Mutex::new(arrived_tx),
        release: Mutex::new(release_rx),
    };
    let model = Threading::new().block_on_close(false);
    let mut server = Server::new(tcp(), gate, model).unwrap();
    let mut client = connect(&server);
    client.write_all(b"late\n").unwrap();
    server.handle_request(Some(BOUND)).unwrap();
    arrived.recv_timeout(BOUND).unwrap();
    let t = Instant::now();
    drop(server); // does not wait for the handler
    assert!(t.elapsed() < Duration::from_secs(5));
    release.send(()).unwrap(); // the handler, still running, answers
    assert_eq!(common::read_to_end(&mut client), b"LATE");
}

#[test]
fn forking_refuses_to_fork_a_multithreaded_process() {
    // The test harness runs tests on several threads: exactly the case.
    let errors = Arc::new(Mutex::new(Vec::new()));
    #[derive(Debug)]
    struct Report(Arc<Mutex<Vec<String>>>);
    impl Handler<Tcp> for Report {
        fn handle(&self, _: &mut Tcp) -> io::Result<()> {
            unreachable!("never runs: there is no child");
        }
        fn handle_error(&self, _: &str, error: &RequestError) {
            self.0.lock().unwrap().push(error.to_string());
        }
    }
    let _keep_a_second_thread = thread::spawn(|| thread::park_timeout(BOUND));
    let mut server = Server::new(tcp(), Report(Arc::clone(&errors)), Forking::new(4)).unwrap();
    let mut client = connect(&server);
    server.handle_request(Some(BOUND)).unwrap();
    assert!(common::read_to_end(&mut client).is_empty());
    let errors = errors.lock().unwrap();
    assert!(errors[0].contains("refusing to fork"), "{errors:?}");
}

#[test]
fn closing_the_server_closes_its_socket_and_removes_its_socket_file() {
    let server = Server::new(tcp(), Upper::default(), Synchronous).unwrap();
    let addr = server.server_address();
    drop(server);
    assert_eq!(
        TcpStream::connect(&addr).unwrap_err().kind(),
        ErrorKind::ConnectionRefused
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    {
        let t = UnixStreamTransport::bind(&path, &BindOptions::default()).unwrap();
        let _server = Server::new(t, Upper::default(), Threading::new()).unwrap();
        assert!(path.exists());
        UnixStream::connect(&path).unwrap();
    } // the end of the scope is Python's `with` block ending
    assert!(!path.exists());
}

#[test]
fn a_stale_socket_file_is_replaced_and_a_live_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let live = UnixStreamTransport::bind(&path, &BindOptions::default()).unwrap();
    let err = UnixStreamTransport::bind(&path, &BindOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    std::mem::forget(live); // leaves the file behind, as a crashed server would
    let again = UnixStreamTransport::bind(&path, &BindOptions::default());
    // The forgotten listener still holds the socket open, so it is live.
    assert!(again.is_err());
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap()); // file stays, nobody listens
    assert!(stale.exists());
    UnixStreamTransport::bind(&stale, &BindOptions::default()).unwrap();
}

/// At exit a server removes its socket file, but only if the name still
/// holds that file: not one that replaced it meanwhile.
#[test]
fn a_socket_file_replaced_meanwhile_is_not_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let first = UnixStreamTransport::bind(&path, &BindOptions::default()).unwrap();
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, b"someone else's").unwrap();
    drop(first);
    assert_eq!(std::fs::read(&path).unwrap(), b"someone else's");
    std::fs::remove_file(&path).unwrap();
    // And a socket that is still ours goes.
    drop(UnixStreamTransport::bind(&path, &BindOptions::default()).unwrap());
    assert!(!path.exists());
}

#[test]
fn requests_report_their_client_address() {
    #[derive(Debug)]
    struct Addr(Mutex<Option<String>>);
    impl Handler<Tcp> for Addr {
        fn handle(&self, request: &mut Tcp) -> io::Result<()> {
            *self.0.lock().unwrap() = Some(request.client_address());
            Ok(())
        }
    }
    let mut server = Server::new(tcp(), Addr(Mutex::new(None)), Synchronous).unwrap();
    let client = connect(&server);
    server.handle_request(Some(BOUND)).unwrap();
    let seen = server.handler().0.lock().unwrap().clone();
    assert_eq!(seen, Some(client.local_addr().unwrap().to_string()));
}
