"""Exercise ch4-safe-path in Python: serve only the files under a root.

    cargo exercise check ch4-safe-path --cmd "python3 ch4-safe-path.py --port {port} --root {path}"

Each line a client sends is a file name; the answer is `ok SIZE` and the
file's bytes, `refused` or `missing`.
"""

import argparse
import os
import socket
import threading


class Refused(Exception):
    pass


class Missing(Exception):
    pass


def resolve_under_root(root, name):
    """The real path of name under root, or why it is not served."""
    # The text first: no absolute path, no `..`.
    if not name or "\0" in name or os.path.isabs(name):
        raise Refused()
    if ".." in name.split("/"):
        raise Refused()
    # Then every symlink, resolved by the system.
    path = os.path.realpath(os.path.join(root, name))
    if not os.path.exists(path):
        raise Missing()
    if os.path.commonpath([root, path]) != root:
        raise Refused()  # a symlink led out of the folder
    if not os.path.isfile(path):
        raise Refused()  # a folder, a FIFO...
    return path


def serve(conn, root):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            name = os.fsdecode(line.rstrip(b"\r\n"))
            try:
                with open(resolve_under_root(root, name), "rb") as f:
                    data = f.read()
                conn.sendall(b"ok %d\n" % len(data) + data)
            except Refused:
                conn.sendall(b"refused\n")
            except Missing:
                conn.sendall(b"missing\n")


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
