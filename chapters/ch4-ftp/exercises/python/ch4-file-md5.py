"""Exercise ch4-file-md5 in Python: the md5 of a file, a chunk at a time.

    cargo exercise check ch4-file-md5 --cmd "python3 ch4-file-md5.py --port {port} --root {path}"

Each line a client sends is `stat NAME`; the answer is a line
`stat SIZE MD5`, or `error CODE MESSAGE`.
"""

import argparse
import hashlib
import os
import socket
import threading

CHUNK = 64 * 1024


def md5_of(f):
    """The size and md5 (lowercase hex) of what f yields, CHUNK bytes at a time."""
    md5 = hashlib.md5()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    size = 0
    while True:
        n = f.readinto(buf)
        if not n:
            break
        md5.update(view[:n])
        size += n
    return size, md5.hexdigest()


def answer(root, line):
    if not line.startswith("stat "):
        return "error bad-request usage: stat NAME"
    name = line[5:]
    # The rules of ch4-safe-path: nothing outside the folder.
    path = os.path.realpath(os.path.join(root, name))
    if not name or os.path.isabs(name) or ".." in name.split("/"):
        return "error refused not served: " + name
    if os.path.commonpath([root, path]) != root:
        return "error refused not served: " + name
    if not os.path.exists(path):
        return "error not-found no such file: " + name
    if not os.path.isfile(path):
        return "error not-a-file not a regular file: " + name
    try:
        with open(path, "rb") as f:
            size, digest = md5_of(f)
    except OSError as e:
        return "error io %s: %s" % (e.strerror, name)
    return "stat %d %s" % (size, digest)


def serve(conn, root):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            request = os.fsdecode(line.rstrip(b"\r\n"))
            conn.sendall(answer(root, request).encode("utf-8", "surrogateescape") + b"\n")


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
