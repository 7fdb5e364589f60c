"""Exercise ch2-read-timeout in Python: an echo server that asks a quiet
client whether it is still there, and keeps it.

    cargo exercise check ch2-read-timeout --cmd "python3 ch2-read-timeout.py --port {port}"
"""

import argparse
import socket
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()


def serve(conn):
    with conn:
        conn.settimeout(1)
        while True:
            try:
                data = conn.recv(4096)
            except TimeoutError:  # quiet for a second: ask, and wait again
                conn.sendall(b"still there?\n")
                continue
            except OSError:
                return
            if not data:
                return
            conn.sendall(data)


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", args.port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
