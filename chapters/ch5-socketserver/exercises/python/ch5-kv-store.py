"""Exercise ch5-kv-store in Python: a handler whose state every request
shares, on Python's socketserver.

    cargo exercise check ch5-kv-store --cmd "python3 ch5-kv-store.py --port {port}"
"""

import argparse
import socketserver
import threading


class StoreHandler(socketserver.StreamRequestHandler):
    # Class attributes: one map and one lock for every handler object.
    values = {}
    lock = threading.Lock()

    def answer(self, line):
        words = line.split(" ", 2)
        with self.lock:
            if len(words) == 3 and words[0] == "SET" and words[1]:
                self.values[words[1]] = words[2]
                return "OK"
            if len(words) == 2 and words[0] == "GET":
                return self.values.get(words[1], "NONE")
            if len(words) == 2 and words[0] == "INCR":
                try:
                    now = int(self.values.get(words[1], "0"))
                except ValueError:
                    return "ERR not a number"
                self.values[words[1]] = str(now + 1)
                return str(now + 1)
            return "ERR bad command"

    def handle(self):
        for line in self.rfile:
            if not line.endswith(b"\n"):
                return
            command = line.decode().rstrip("\r\n")
            self.wfile.write((self.answer(command) + "\n").encode())


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", args.port), StoreHandler) as server:
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
