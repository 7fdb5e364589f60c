"""Exercise ch4-resume-server in Python: downloads that resume.

    cargo exercise check ch4-resume-server --cmd "python3 ch4-resume-server.py --port {port} --root {path}"

Every message is a frame: 4 bytes of length (big-endian), then the text.
`get OFFSET NAME` is answered with `file SIZE START MD5` and the bytes from
START, or `error CODE MESSAGE`; the connection goes on either way.
"""

import argparse
import hashlib
import os
import socket
import struct
import threading

MAX_REQUEST = 64 * 1024


def recv_exact(conn, n):
    """Exactly n bytes, or None if the client left first."""
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            return None
        data += more
    return data


def send_frame(conn, text):
    payload = text.encode("utf-8", "surrogateescape")
    conn.sendall(struct.pack(">I", len(payload)) + payload)


def open_under(root, name):
    """The open file that name names under root, or (code, why)."""
    if not name or "\0" in name or os.path.isabs(name) or ".." in name.split("/"):
        return None, ("refused", "not served")
    path = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, path]) != root:
        return None, ("refused", "not served")
    if not os.path.exists(path):
        return None, ("not-found", "no such file")
    if not os.path.isfile(path):
        return None, ("not-a-file", "not a regular file")
    return open(path, "rb"), None


def serve(conn, root):
    with conn:
        while True:
            head = recv_exact(conn, 4)
            if head is None:
                return
            (length,) = struct.unpack(">I", head)
            if length > MAX_REQUEST:
                send_frame(conn, "error too-large a request of %d bytes" % length)
                return
            payload = recv_exact(conn, length)
            if payload is None:
                return
            words = payload.decode("utf-8", "surrogateescape").split(" ", 2)
            if len(words) != 3 or words[0] != "get" or not words[1].isdigit():
                send_frame(conn, "error bad-request usage: get OFFSET NAME")
                continue
            offset, name = int(words[1]), words[2]
            f, refusal = open_under(root, name)
            if refusal:
                send_frame(conn, "error %s %s: %s" % (refusal[0], refusal[1], name))
                continue
            with f:
                size = os.fstat(f.fileno()).st_size
                md5 = hashlib.md5()  # the whole file's, whatever the offset
                while chunk := f.read(64 * 1024):
                    md5.update(chunk)
                start = offset if offset <= size else 0
                send_frame(conn, "file %d %d %s" % (size, start, md5.hexdigest()))
                if size > start:
                    conn.sendfile(f, start, size - start)


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=1999)
parser.add_argument("--root", default=".")
args = parser.parse_args()
root = os.path.realpath(args.root)

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn, root), daemon=True).start()
