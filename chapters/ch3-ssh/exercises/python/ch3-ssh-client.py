"""Exercise ch3-ssh-client in Python: the course's ssh client, rewritten so
that it prints the whole result.

    cargo exercise check ch3-ssh-client --cmd "python3 ch3-ssh-client.py --port {port}"

One command a line from stdin, each sent to the server; each result printed
whole, its bytes and nothing else. A server that goes away in the middle of
a result is an error: a message on stderr and a non-zero exit status.
"""

import argparse
import socket
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9999)
    args = parser.parse_args()
    client = socket.create_connection((args.host, args.port))
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        cmd = line.rstrip(b"\r\n")
        if not cmd:
            continue  # nothing to send: the server would wait for ever
        client.sendall(cmd)
        header = client.recv(1024)
        if not header:
            sys.exit("the server closed the connection instead of answering")
        length = int(header.decode())
        client.sendall(b"OK")
        receive_size = 0
        while receive_size < length:
            data = client.recv(min(65536, length - receive_size))
            if not data:
                sys.exit(f"the server closed the connection after {receive_size} of {length} bytes")
            out.write(data)
            receive_size += len(data)
        out.flush()
    client.close()


main()
