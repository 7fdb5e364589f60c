"""Exercise ch3-recv-exact in Python: an upload server that receives
exactly the announced number of bytes.

    cargo exercise check ch3-recv-exact --cmd "python3 ch3-recv-exact.py --port {port}"

The article's protocol turned around: the client sends a size in decimal,
the server answers "OK", the client sends that many bytes, and the server
echoes them back; again, until the client closes.
"""

import argparse
import socket


def recv_exact(conn, size):
    """Exactly size bytes: the article's `while receive_size < length`."""
    received = bytearray()
    while len(received) < size:
        # Never ask for more than is missing: what follows is the next size.
        chunk = conn.recv(min(1024, size - len(received)))
        if not chunk:
            raise EOFError("the peer closed after %d of %d bytes" % (len(received), size))
        received += chunk
    return bytes(received)


def serve(conn):
    while True:
        header = conn.recv(1024)
        if not header:
            return
        size = int(header)
        if not 0 <= size <= 64 * 1024 * 1024:
            raise ValueError("%r is not a size this server accepts" % header)
        conn.sendall(b"OK")
        conn.sendall(recv_exact(conn, size))


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:  # one client at a time, as in the article
    conn, _ = listener.accept()
    with conn:
        try:
            serve(conn)
        except (OSError, EOFError, ValueError) as e:
            print("client gone: %s" % e, flush=True)
