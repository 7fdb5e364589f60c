"""Exercise ch1-udp-echo in Python: a UDP echo server that sends every
datagram back whole.

    cargo exercise check ch1-udp-echo --cmd "python3 ch1-udp-echo.py --port {port}"
"""

import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", args.port))
print("listening on %s:%d" % sock.getsockname(), flush=True)

while True:
    # 65535 holds the biggest datagram UDP carries; a smaller buffer cuts
    # bigger datagrams, and the rest is lost.
    data, sender = sock.recvfrom(65535)
    sock.sendto(data, sender)
