"""The ch2-sendall server written the easy way: a blocking socket and
socket.sendall(). Every byte arrives, but the loop the exercise is about
runs inside Python and the kernel, and the checker fails it:

    cargo exercise check ch2-sendall --cmd "python3 chapters/ch2-api/exercises/python/sendall_blocking.py --port {port}"
"""

import argparse
import socket
import threading

PATTERN = bytes(range(251))


def serve(conn):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            size = int(line)
            conn.sendall((PATTERN * (size // len(PATTERN) + 1))[:size])


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
