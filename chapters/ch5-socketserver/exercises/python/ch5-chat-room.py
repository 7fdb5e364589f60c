"""Exercise ch5-chat-room in Python: a chat room on Python's socketserver,
with the handler's whole life cycle.

    cargo exercise check ch5-chat-room --cmd "python3 ch5-chat-room.py --port {port}"
"""

import argparse
import socketserver
import threading

members = {}  # address -> socket
lock = threading.Lock()


def tell_others(sender, message):
    for address, sock in members.items():
        if address != sender:
            try:
                sock.sendall(message)
            except OSError:
                pass  # its own handler sees its connection end


class ChatHandler(socketserver.StreamRequestHandler):
    def setup(self):
        super().setup()
        self.name = "%s:%d" % self.client_address
        with lock:
            self.request.sendall(("welcome %s\n" % self.name).encode())
            tell_others(self.name, ("%s joined\n" % self.name).encode())
            members[self.name] = self.request

    def handle(self):
        for line in self.rfile:
            if not line.endswith(b"\n"):
                return
            with lock:
                tell_others(self.name, self.name.encode() + b": " + line)

    def finish(self):
        # Runs even when handle() raised (a reset connection, say).
        with lock:
            members.pop(self.name, None)
            tell_others(self.name, ("%s left\n" % self.name).encode())
        super().finish()


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()

socketserver.ThreadingTCPServer.daemon_threads = True
with socketserver.ThreadingTCPServer(("127.0.0.1", args.port), ChatHandler) as server:
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
