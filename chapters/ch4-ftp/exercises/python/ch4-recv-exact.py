"""Exercise ch4-recv-exact in Python: receive exactly N bytes and check
their md5, without eating the digest that follows them.

    cargo exercise check ch4-recv-exact --cmd "python3 ch4-recv-exact.py --port {port}"

On each connection, over and over: a line holding a size, that many bytes,
then the 32-character md5 digest of those bytes; the answer is `ok` or
`mismatch`.
"""

import argparse
import hashlib
import socket
import threading


def recv_exact_md5(reader, size):
    """Reads exactly size bytes from reader; returns their md5 in hex."""
    md5 = hashlib.md5()
    left = size
    while left > 0:
        # Ask for what is still owed, never more: the digest comes next.
        chunk = reader.read1(min(65536, left))
        if not chunk:
            raise EOFError("connection closed early")
        md5.update(chunk)
        left -= len(chunk)
    return md5.hexdigest()


def serve(conn):
    # Everything is read through one buffered reader: the bytes after the
    # size line may already be in its buffer.
    with conn, conn.makefile("rb") as reader:
        for line in reader:
            got = recv_exact_md5(reader, int(line))
            digest = reader.read(32)
            conn.sendall(b"ok\n" if got.encode() == digest else b"mismatch\n")


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=1999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
