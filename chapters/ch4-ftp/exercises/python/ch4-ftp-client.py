"""Exercise ch4-ftp-client in Python: the course's ftp client, rewritten so
that it really checks its md5 and never keeps a half file.

    cargo exercise check ch4-ftp-client --cmd "python3 ch4-ftp-client.py --port {port} --dir {path}"

One `get NAME` a line from stdin; for each, one line on stdout: "ok NAME",
"mismatch NAME" or "error NAME: WHY".
"""

import argparse
import hashlib
import os
import socket
import sys


class Lost(Exception):
    pass


def download(client, name, part):
    client.sendall(b"get " + name.encode())
    header = client.recv(1024)
    if not header:
        raise Lost("the server closed the connection instead of answering")
    if header.startswith(b"error: "):
        return "error " + name + ": " + header[7:].decode(errors="replace")
    total = int(header.decode())
    client.sendall(b"OK")
    md5 = hashlib.md5()
    received = 0
    with open(part, "wb") as f:
        while received < total:
            data = client.recv(min(65536, total - received))  # never more than owed
            if not data:
                raise Lost(f"the server closed the connection after {received} of {total} bytes")
            md5.update(data)
            f.write(data)
            received += len(data)
    digest = b""
    while len(digest) < 32:
        data = client.recv(32 - len(digest))
        if not data:
            raise Lost("the md5 did not come whole")
        digest += data
    return "ok " + name if md5.hexdigest().encode() == digest else "mismatch " + name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1999)
    parser.add_argument("--dir", default=".")
    args = parser.parse_args()
    client = socket.create_connection((args.host, args.port))
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if not line.startswith("get ") or not line[4:]:
            continue
        name = line[4:]
        local = os.path.basename(name)
        part = os.path.join(args.dir, local + ".part")
        lost = None
        try:
            said = download(client, name, part)
        except Lost as e:
            said, lost = f"error {name}: {e}", e
        if said.startswith("ok "):
            os.replace(part, os.path.join(args.dir, local))
        elif os.path.exists(part):
            os.remove(part)  # wrong or half: keep nothing
        print(said, flush=True)
        if lost:
            sys.exit(1)  # the connection is gone

main()
