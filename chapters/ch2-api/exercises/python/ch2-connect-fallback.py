"""Exercise ch2-connect-fallback in Python: try each address in turn,
each with a timeout, like socket.create_connection.

    cargo exercise check ch2-connect-fallback --cmd "python3 ch2-connect-fallback.py --port {port}"

Each line a client sends is a list of addresses (`[::1]:40000
127.0.0.1:40000`); the answer is `connected ADDR` or `failed: ERROR`.
"""

import argparse
import socket
import threading

TIMEOUT = 1.0


def candidates(line):
    """Every address the words of line resolve to, in order."""
    found = []
    for word in line.split():
        host, port = word.rsplit(":", 1)
        for family, _, _, _, sockaddr in socket.getaddrinfo(
            host.strip("[]"), int(port), type=socket.SOCK_STREAM
        ):
            found.append((family, sockaddr))
    return found


def connect_first(addresses, timeout):
    """The first address that accepts within timeout; else the last
    attempt's error."""
    last_error = OSError("no address to try")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            sock.close()
            last_error = e
    raise last_error


def show(sockaddr):
    host, port = sockaddr[:2]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def serve(conn):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            try:
                with connect_first(candidates(line.decode()), TIMEOUT) as peer:
                    answer = "connected %s\n" % show(peer.getpeername())
            except OSError as e:
                answer = "failed: %s\n" % e
            conn.sendall(answer.encode())


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
