"""Exercise ch5-thread-per-request in Python: a concurrency model of your
own, a thread per request, joined at close.

    cargo exercise check ch5-thread-per-request --cmd "python3 ch5-thread-per-request.py --port {port}"

socketserver.ThreadingMixIn is this model; here it is written out, on
socketserver.TCPServer, with the part it lacks: on close, every
connection still open is shut for reading, so its handler ends.
"""

import argparse
import signal
import socket
import socketserver
import threading


class UpperHandler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            if not line.endswith(b"\n"):
                return
            answer = line.strip().upper()
            if answer:
                self.wfile.write(answer)


class ThreadPerRequest(socketserver.TCPServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.threads = []
        self.open_requests = set()
        self.lock = threading.Lock()

    def process_request(self, request, client_address):
        # Return at once: the request runs on a thread of its own.
        with self.lock:
            self.open_requests.add(request)
        thread = threading.Thread(target=self.work, args=(request, client_address))
        thread.start()
        self.threads = [t for t in self.threads if t.is_alive()]
        self.threads.append(thread)

    def work(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            with self.lock:
                self.open_requests.discard(request)
            self.shutdown_request(request)

    def server_close(self):
        super().server_close()
        # A client that keeps its connection open would keep its handler
        # reading forever: stop every connection reading, then wait.
        with self.lock:
            for request in self.open_requests:
                try:
                    request.shutdown(socket.SHUT_RD)
                except OSError:
                    pass
        for thread in self.threads:
            thread.join()


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

with ThreadPerRequest(("127.0.0.1", args.port), UpperHandler) as server:
    # shutdown() waits for serve_forever to return: call it from another
    # thread, never from the handler, which runs on serve_forever's thread.
    def stop(signum, frame):
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
# Leaving `with` called server_close: every request is answered and joined.
