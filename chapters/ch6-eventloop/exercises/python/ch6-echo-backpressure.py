"""Exercise ch6-echo-backpressure in Python: a whole event-loop echo server
that stops reading from a client that does not read.

    cargo exercise check ch6-echo-backpressure --cmd "python3 ch6-echo-backpressure.py --port {port}"
"""

import argparse
import selectors
import socket

CAP = 64 * 1024  # above this many unsent bytes, stop reading the client


class Echo:
    def __init__(self, sock):
        self.sock = sock
        self.outbox = bytearray()
        self.finished = False


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
            try:
                sock, _ = listener.accept()
            except BlockingIOError:
                continue
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, Echo(sock))
            continue
        echo = key.data
        try:
            if events & selectors.EVENT_READ:
                data = echo.sock.recv(65536)
                if data:
                    echo.outbox += data
                else:
                    echo.finished = True
            while echo.outbox:
                sent = echo.sock.send(echo.outbox)
                del echo.outbox[:sent]
        except BlockingIOError:
            pass
        except OSError:
            selector.unregister(echo.sock)
            echo.sock.close()
            continue
        if echo.finished and not echo.outbox:
            selector.unregister(echo.sock)
            echo.sock.close()
            continue
        wanted = 0
        if not echo.finished and len(echo.outbox) <= CAP:
            wanted |= selectors.EVENT_READ  # backpressure: not while it owes too much
        if echo.outbox:
            wanted |= selectors.EVENT_WRITE
        selector.modify(echo.sock, wanted, echo)
