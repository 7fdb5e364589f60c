"""Wrong echo servers, for the checker's tests: `--mistake blocking` serves
every client from one thread with blocking sockets; `--mistake
no-backpressure` is an event loop that reads on however much it owes."""

import argparse
import selectors
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
parser.add_argument("--mistake", choices=["blocking", "no-backpressure"], required=True)
args = parser.parse_args()

listener = socket.create_server(("127.0.0.1", args.port))
listener.setblocking(False)
selector = selectors.DefaultSelector()
selector.register(listener, selectors.EVENT_READ, None)
print("listening on %s:%d" % listener.getsockname(), flush=True)
outboxes = {}

while True:
    for key, events in selector.select():
        if key.data is None:
            sock, _ = listener.accept()
            sock.setblocking(args.mistake == "blocking")
            outboxes[sock] = bytearray()
            selector.register(sock, selectors.EVENT_READ, sock)
            continue
        sock = key.data
        outbox = outboxes[sock]
        try:
            if events & selectors.EVENT_READ:
                data = sock.recv(65536)
                if not data:
                    raise ConnectionResetError
                outbox += data
            while outbox:
                del outbox[: sock.send(outbox)]  # blocks in the blocking one
        except BlockingIOError:
            pass
        except OSError:
            selector.unregister(sock)
            sock.close()
            continue
        wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if outbox else 0)
        selector.modify(sock, wanted, sock)
