"""Exercise ch1-seqpacket in Python: a Unix seqpacket server that answers
each message with its size.

    cargo exercise check ch1-seqpacket --cmd "python3 ch1-seqpacket.py {path}"
"""

import socket
import sys

path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
server.bind(path)
server.listen()
print("listening on %s" % path, flush=True)

while True:
    conn, _ = server.accept()
    with conn:
        while True:
            try:
                # One recv takes one whole message: the buffer must hold
                # the biggest one.
                message = conn.recv(256 * 1024)
            except OSError:
                break
            if not message:
                break
            conn.send(str(len(message)).encode())
