"""Wrong idle timeouts, for the checker's tests: `--mistake on-events`
looks at its clock only when a socket wakes it; `--mistake from-accept`
never restarts a client's clock; `--mistake blocking` serves one client
at a time, blocking, with a read timeout."""

import argparse
import selectors
import socket
import time

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
parser.add_argument("--idle-ms", type=int, default=30000)
parser.add_argument("--mistake", choices=["on-events", "from-accept", "blocking"], required=True)
args = parser.parse_args()
idle = args.idle_ms / 1000

listener = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % listener.getsockname(), flush=True)

if args.mistake == "blocking":
    while True:
        sock, _ = listener.accept()
        sock.settimeout(idle)
        inbox = b""
        try:
            while data := sock.recv(65536):
                inbox += data
                while b"\n" in inbox:
                    line, inbox = inbox.split(b"\n", 1)
                    sock.sendall(line.strip().upper())
        except OSError:
            pass
        sock.close()

listener.setblocking(False)
selector = selectors.DefaultSelector()
selector.register(listener, selectors.EVENT_READ, None)
clients = {}  # socket -> [heard, inbox]
while True:
    timeout = None
    if args.mistake != "on-events" and clients:
        timeout = max(0, min(c[0] for c in clients.values()) + idle - time.monotonic())
    for key, _ in selector.select(timeout):
        if key.data is None:
            sock, _ = listener.accept()
            sock.setblocking(False)
            clients[sock] = [time.monotonic(), b""]
            selector.register(sock, selectors.EVENT_READ, sock)
            continue
        sock = key.data
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            selector.unregister(sock)
            sock.close()
            del clients[sock]
            continue
        client = clients[sock]
        if args.mistake != "from-accept":
            client[0] = time.monotonic()
        client[1] += data
        while b"\n" in client[1]:
            line, client[1] = client[1].split(b"\n", 1)
            sock.sendall(line.strip().upper())
    now = time.monotonic()
    for sock in [s for s, c in clients.items() if now >= c[0] + idle]:
        selector.unregister(sock)
        sock.close()
        del clients[sock]
