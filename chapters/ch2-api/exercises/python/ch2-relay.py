"""Exercise ch2-relay in Python: every TCP client passed on to a Unix
stream socket, both ways at once, each end passed on.

    cargo exercise check ch2-relay --cmd "python3 ch2-relay.py --port {port} --to {path}"
"""

import argparse
import socket
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
parser.add_argument("--to", required=True)
args = parser.parse_args()


def pass_on(source, target):
    """Copies until `source` ends, then ends `target`'s sending side."""
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(client):
    with client:
        try:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(args.to)
        except OSError:
            return
        with upstream:
            up = threading.Thread(target=pass_on, args=(client, upstream))
            up.start()
            pass_on(upstream, client)
            up.join()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", args.port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
