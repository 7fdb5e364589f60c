"""A UDP echo server in Python, written the way most tutorials write it.

It follows the book's conventions (--port, port 0, a first line
`listening on ADDR`, flushed), so the exercise checker can judge it:

    cargo exercise check ch1-udp-echo --cmd "python3 chapters/ch1-families/exercises/python/udp_echo_1024.py --port {port}"

It fails, on purpose: recvfrom(1024) cuts every bigger datagram.
"""

import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", args.port))
# Without flush, a pipe would keep the line in Python's buffer.
print("listening on %s:%d" % sock.getsockname(), flush=True)

while True:
    data, sender = sock.recvfrom(1024)
    sock.sendto(data, sender)
