"""Exercise ch3-frame-codec in Python: a frame echo server.

    cargo exercise check ch3-frame-codec --cmd "python3 ch3-frame-codec.py --port {port}"

A frame is a 4-byte big-endian payload length, a 1-byte kind and the
payload. A frame over MAX_PAYLOAD is refused, before anything is allocated
for it, with a frame of kind "!", and the connection is closed.
"""

import argparse
import socket
import struct
import threading

MAX_PAYLOAD = 1024 * 1024
HEADER = struct.Struct(">IB")


class TooBig(Exception):
    pass


def recv_exact(conn, size):
    received = bytearray()
    while len(received) < size:
        chunk = conn.recv(min(65536, size - len(received)))
        if not chunk:
            raise EOFError("the frame was cut short")
        received += chunk
    return bytes(received)


def write_frame(conn, kind, payload):
    conn.sendall(HEADER.pack(len(payload), kind) + payload)


def read_frame(conn):
    """(kind, payload), or None if the peer closed before a frame began."""
    first = conn.recv(1)
    if not first:
        return None
    length, kind = HEADER.unpack(first + recv_exact(conn, HEADER.size - 1))
    if length > MAX_PAYLOAD:
        raise TooBig("a frame of %d bytes is over the limit of %d bytes" % (length, MAX_PAYLOAD))
    return kind, recv_exact(conn, length)


def serve(conn):
    with conn:
        try:
            while (frame := read_frame(conn)) is not None:
                write_frame(conn, *frame)
        except TooBig as e:
            write_frame(conn, ord("!"), str(e).encode())
        except (OSError, EOFError) as e:
            print("client gone: %s" % e, flush=True)


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
