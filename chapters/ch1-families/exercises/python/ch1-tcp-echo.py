"""Exercise ch1-tcp-echo in Python: a TCP echo server that takes its
clients one at a time, each until it ends.

    cargo exercise check ch1-tcp-echo --cmd "python3 ch1-tcp-echo.py --port {port}"
"""

import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", args.port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)

while True:
    conn, addr = server.accept()
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError as e:  # a reset ends this client, not the server
                print(addr, e, flush=True)
                break
            if not data:  # b'': the client has closed its end
                break
            try:
                conn.sendall(data)
            except OSError as e:
                print(addr, e, flush=True)
                break
