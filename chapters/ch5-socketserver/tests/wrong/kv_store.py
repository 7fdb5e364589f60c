"""Wrong key-value stores, for the checker's tests: `--mistake
per-connection` keeps a map per connection; `--mistake synchronous` serves
one client at a time."""

import argparse
import socketserver

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
parser.add_argument("--mistake", choices=["per-connection", "synchronous"], required=True)
args = parser.parse_args()
shared = {}


class StoreHandler(socketserver.StreamRequestHandler):
    def handle(self):
        values = {} if args.mistake == "per-connection" else shared
        for line in self.rfile:
            words = line.decode().rstrip("\r\n").split(" ", 2)
            if len(words) == 3 and words[0] == "SET":
                values[words[1]] = words[2]
                answer = "OK"
            elif len(words) == 2 and words[0] == "GET":
                answer = values.get(words[1], "NONE")
            elif len(words) == 2 and words[0] == "INCR":
                try:
                    values[words[1]] = answer = str(int(values.get(words[1], "0")) + 1)
                except ValueError:
                    answer = "ERR not a number"
            else:
                answer = "ERR bad command"
            self.wfile.write((answer + "\n").encode())


socketserver.ThreadingTCPServer.daemon_threads = True
kind = socketserver.TCPServer if args.mistake == "synchronous" else socketserver.ThreadingTCPServer
with kind(("127.0.0.1", args.port), StoreHandler) as server:
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
