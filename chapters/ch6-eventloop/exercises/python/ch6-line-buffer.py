"""Exercise ch6-line-buffer in Python: one thread, one event loop, and
what each connection keeps between events.

    cargo exercise check ch6-line-buffer --cmd "python3 ch6-line-buffer.py --port {port}"
"""

import argparse
import selectors
import socket


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.inbox = bytearray()  # bytes read, not yet a whole line
        self.outbox = bytearray()  # answers not yet taken by the socket

    def receive(self, data):
        """Turns what one recv returned into answers, however it was cut."""
        self.inbox += data
        while (end := self.inbox.find(b"\n")) >= 0:
            line = bytes(self.inbox[: end + 1])
            del self.inbox[: end + 1]
            self.outbox += line.strip().upper()

    def flush(self):
        """Sends what the socket takes; keeps the rest for later."""
        while self.outbox:
            try:
                sent = self.sock.send(self.outbox)
            except BlockingIOError:
                return  # full: the loop calls again when it is writable
            del self.outbox[:sent]


def watch(selector, conn):
    events = selectors.EVENT_READ
    if conn.outbox:
        events |= selectors.EVENT_WRITE
    selector.modify(conn.sock, events, conn)


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
listener.setblocking(False)
selector = selectors.DefaultSelector()
selector.register(listener, selectors.EVENT_READ, None)
print("listening on %s:%d" % listener.getsockname(), flush=True)

while True:
    for key, events in selector.select():
        if key.data is None:
            sock, _ = listener.accept()
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, Connection(sock))
            continue
        conn = key.data
        try:
            if events & selectors.EVENT_READ:
                data = conn.sock.recv(65536)
                if not data:
                    raise ConnectionResetError("the client left")
                conn.receive(data)
            conn.flush()
            watch(selector, conn)
        except BlockingIOError:
            pass
        except OSError:
            selector.unregister(conn.sock)
            conn.sock.close()
