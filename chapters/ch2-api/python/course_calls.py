"""Chapter 2: the calls of the course's section 1.2, each made once for real
on loopback, with one line printed for each. Run it with
`python3 chapters/ch2-api/python/course_calls.py`; it needs no arguments and
leaves nothing behind. The lines between ANCHOR comments are the ones the
book shows beside their Rust forms."""
import errno
import socket
import tempfile

# --- Making sockets -------------------------------------------------------

# ANCHOR: socket
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# ANCHOR_END: socket
print("socket:", server.family.name, server.type.name)

# ANCHOR: socketpair
left, right = socket.socketpair()
# ANCHOR_END: socketpair
left.sendall(b"ping")
print("socketpair:", right.family.name, right.recv(1024))
left.close()
right.close()

# ANCHOR: fileno
fd = server.fileno()
# ANCHOR_END: fileno
print("fileno: a small number above 2:", fd > 2)

# --- Names and addresses --------------------------------------------------

# ANCHOR: getaddrinfo
infos = socket.getaddrinfo("localhost", 9999)
# ANCHOR_END: getaddrinfo
print("getaddrinfo: localhost includes 127.0.0.1:",
      ("127.0.0.1", 9999) in [info[4] for info in infos])

# ANCHOR: bind
server.bind(("127.0.0.1", 0))
# ANCHOR_END: bind
# ANCHOR: getsockname
host, port = server.getsockname()
# ANCHOR_END: getsockname
print("getsockname:", host, "and a port the kernel chose:", port > 0)

# --- Connections ----------------------------------------------------------

# ANCHOR: listen
server.listen(5)
# ANCHOR_END: listen
print("listen: backlog 5")

# ANCHOR: create_connection
client = socket.create_connection(("127.0.0.1", port), timeout=5)
# ANCHOR_END: create_connection
print("create_connection: timeout", client.gettimeout())
client.settimeout(None)

# ANCHOR: accept
conn, addr = server.accept()
# ANCHOR_END: accept
print("accept: addr is the client's own address:", addr == client.getsockname())

# ANCHOR: getpeername
peer = conn.getpeername()
# ANCHOR_END: getpeername
print("getpeername: the same address:", peer == addr)

other = socket.socket()
# ANCHOR: connect
other.connect(("127.0.0.1", port))
# ANCHOR_END: connect
print("connect: connected to the server:", other.getpeername() == (host, port))

holder = socket.socket()
holder.bind(("127.0.0.1", 0))  # bound, never listening: connecting is refused
probe = socket.socket()
# ANCHOR: connect_ex
err = probe.connect_ex(holder.getsockname())
# ANCHOR_END: connect_ex
print("connect_ex:", errno.errorcode[err])
probe.close()
holder.close()

# --- Waiting --------------------------------------------------------------

# ANCHOR: setblocking
conn.setblocking(False)
# ANCHOR_END: setblocking
try:
    conn.recv(1024)
except BlockingIOError as e:
    print("setblocking(False): recv raised", type(e).__name__, errno.errorcode[e.errno])
conn.setblocking(True)

# ANCHOR: settimeout
conn.settimeout(0.5)
# ANCHOR_END: settimeout
try:
    conn.recv(1024)
except socket.timeout as e:  # the same class as TimeoutError since Python 3.10
    print("settimeout(0.5): recv raised", e)
conn.settimeout(None)

# --- Data -----------------------------------------------------------------

# ANCHOR: send
sent = client.send(b"hello")
# ANCHOR_END: send
print("send: took", sent, "bytes")

# ANCHOR: recv
data = conn.recv(1024)
# ANCHOR_END: recv
print("recv:", data)

payload = b"x" * 3000
# ANCHOR: sendall
client.sendall(payload)
# ANCHOR_END: sendall
buf = bytearray(1024)
# ANCHOR: recv_into
n = conn.recv_into(buf)
# ANCHOR_END: recv_into
print("sendall: 3000 bytes; recv_into: filled", n, "of a bytearray(1024)")

# ANCHOR: shutdown
client.shutdown(socket.SHUT_WR)
# ANCHOR_END: shutdown
received = n
while chunk := conn.recv(1024):
    received += len(chunk)
print("shutdown(SHUT_WR): the server read", received, "bytes, then b''")
conn.sendall(b"bye")
print("after shutdown the client still reads:", client.recv(1024))

# ANCHOR: close
client.close()
# ANCHOR_END: close
print("close: the client's descriptor is gone:", client.fileno())
conn.close()

udp_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_server.bind(("127.0.0.1", 0))
udp_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_client.bind(("127.0.0.1", 0))
# ANCHOR: sendto
udp_client.sendto(b"one datagram", udp_server.getsockname())
# ANCHOR_END: sendto
# ANCHOR: recvfrom
data, sender = udp_server.recvfrom(1024)
# ANCHOR_END: recvfrom
print("recvfrom:", data, "from the client:", sender == udp_client.getsockname())
udp_client.close()
udp_server.close()

# --- sendfile -------------------------------------------------------------

served, _ = server.accept()  # the connection `other` made
f = tempfile.TemporaryFile()  # removed when closed
f.write(b"y" * 10000)
f.seek(0)
# ANCHOR: sendfile
sent = served.sendfile(f)
# ANCHOR_END: sendfile
f.close()
served.close()
received = 0
while chunk := other.recv(65536):
    received += len(chunk)
print("sendfile: sent", sent, "bytes; the client received", received)
other.close()
server.close()
