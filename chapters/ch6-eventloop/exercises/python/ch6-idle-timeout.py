"""Exercise ch6-idle-timeout in Python: one thread, one event loop, and a
clock that hangs up on clients that go quiet.

    cargo exercise check ch6-idle-timeout --cmd "python3 ch6-idle-timeout.py --port {port} --idle-ms 1000"
"""

import argparse
import selectors
import socket
import time


class Client:
    def __init__(self, sock, now):
        self.sock = sock
        self.inbox = bytearray()
        self.outbox = bytearray()
        self.heard = now  # when the client last sent a byte


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
parser.add_argument("--idle-ms", type=int, default=30000)
args = parser.parse_args()
idle = args.idle_ms / 1000

listener = socket.create_server(("127.0.0.1", args.port))
listener.setblocking(False)
selector = selectors.DefaultSelector()
selector.register(listener, selectors.EVENT_READ, None)
clients = set()
print("listening on %s:%d" % listener.getsockname(), flush=True)


def close(client):
    selector.unregister(client.sock)
    client.sock.close()
    clients.discard(client)


while True:
    now = time.monotonic()
    deadlines = [c.heard + idle for c in clients]
    timeout = max(0, min(deadlines) - now) if deadlines else None
    for key, events in selector.select(timeout):
        now = time.monotonic()
        if key.data is None:
            sock, _ = listener.accept()
            sock.setblocking(False)
            client = Client(sock, now)
            clients.add(client)
            selector.register(sock, selectors.EVENT_READ, client)
            continue
        client = key.data
        try:
            if events & selectors.EVENT_READ:
                data = client.sock.recv(65536)
                if not data:
                    raise ConnectionResetError("the client left")
                # The clock read after the recv: bytes may have come in
                # since select returned.
                client.heard = time.monotonic()
                client.inbox += data
                while (end := client.inbox.find(b"\n")) >= 0:
                    client.outbox += bytes(client.inbox[:end]).strip().upper()
                    del client.inbox[: end + 1]
            while client.outbox:
                sent = client.sock.send(client.outbox)
                del client.outbox[:sent]
        except BlockingIOError:
            pass
        except OSError:
            close(client)
            continue
        wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        selector.modify(client.sock, wanted, client)
    now = time.monotonic()
    for client in [c for c in clients if now >= c.heard + idle]:
        close(client)
