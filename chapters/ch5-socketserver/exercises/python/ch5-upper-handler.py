"""Exercise ch5-upper-handler in Python: the upper-casing handler, on
Python's socketserver.

    cargo exercise check ch5-upper-handler --cmd "python3 ch5-upper-handler.py --port {port}"
"""

import argparse
import socketserver


class UpperHandler(socketserver.StreamRequestHandler):
    def handle(self):
        # self.rfile is buffered: each line comes whole, however the bytes
        # arrived, and what follows it waits for the next one.
        for line in self.rfile:
            if not line.endswith(b"\n"):
                return  # a last line the client never finished
            answer = line.strip().upper()
            if answer:
                self.wfile.write(answer)  # unbuffered: sent at once


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", args.port), UpperHandler) as server:
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
