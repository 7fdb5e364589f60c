"""The Python side of chapter 2: what a few of the article's calls return
on this machine, printed one per line for the book and its tests."""
import socket

# connect_ex: the error number of a refused connection.
holder = socket.socket()
holder.bind(("127.0.0.1", 0))  # bound, not listening: connecting is refused
s = socket.socket()
print("connect_ex refused:", s.connect_ex(holder.getsockname()))
s.close()

# settimeout: Python waits itself and raises TimeoutError.
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=0.2)
conn, _ = server.accept()
try:
    client.recv(10)
except OSError as e:
    print("recv after settimeout(0.2):", type(e).__name__, e)

# settimeout(0) is setblocking(False).
client.settimeout(0)
try:
    client.recv(10)
except OSError as e:
    print("recv after settimeout(0):", type(e).__name__, e.errno)

# getaddrinfo with no type: one entry per address and socket type.
for family, kind, proto, _, addr in socket.getaddrinfo("127.0.0.1", 80):
    print("getaddrinfo:", family.name, kind.name, proto, addr)

# A write to a closed peer: Python ignores SIGPIPE too.
conn.close()
client.settimeout(5)
try:
    for _ in range(1000):
        client.send(b"anyone there?")
except OSError as e:
    print("send to a closed peer:", type(e).__name__)
