"""Exercise ch2-sendall in Python: sendall built on send, on a
non-blocking socket.

    cargo exercise check ch2-sendall --cmd "python3 ch2-sendall.py --port {port}"

Each line a client sends is a size; the answer is that many bytes, byte i
being i % 251.
"""

import argparse
import select
import socket
import threading

PATTERN = bytes(range(251))


def wait_writable(sock):
    """Waits until the socket may take more bytes, at most ten seconds."""
    _, writable, _ = select.select([], [sock], [], 10)
    if not writable:
        raise TimeoutError("the peer took nothing for 10 s")


def send_all(sock, data):
    """Sends every byte of data on the non-blocking sock: what
    socket.sendall does, written out."""
    view = memoryview(data)
    sent = 0
    while sent < len(view):
        try:
            sent += sock.send(view[sent:])
        except BlockingIOError:
            wait_writable(sock)


def serve(conn):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            size = int(line)
            data = (PATTERN * (size // len(PATTERN) + 1))[:size]
            conn.setblocking(False)
            send_all(conn, data)
            conn.setblocking(True)


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
