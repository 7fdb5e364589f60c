"""Wrong chat rooms, for the checker's tests: `--mistake echo` sends a
line back to its sender too; `--mistake leave-in-handle` says a client
left at the end of handle(), which a reset connection skips."""

import argparse
import socketserver
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
parser.add_argument("--mistake", choices=["echo", "leave-in-handle"], required=True)
args = parser.parse_args()
members = {}
lock = threading.Lock()


def tell(sender, message, everyone=False):
    for address, sock in members.items():
        if everyone or address != sender:
            try:
                sock.sendall(message)
            except OSError:
                pass


class ChatHandler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.name = "%s:%d" % self.client_address
        with lock:
            self.request.sendall(("welcome %s\n" % self.name).encode())
            tell(self.name, ("%s joined\n" % self.name).encode())
            members[self.name] = self.request

    def handle(self):
        for line in self.rfile:
            with lock:
                tell(self.name, self.name.encode() + b": " + line, args.mistake == "echo")
        self.leave()

    def leave(self):
        with lock:
            members.pop(self.name, None)
            tell(self.name, ("%s left\n" % self.name).encode())

    def finish(self):
        if args.mistake != "leave-in-handle":
            self.leave()
        super().finish()


socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", args.port), ChatHandler) as server:
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
