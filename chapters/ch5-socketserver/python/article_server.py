# The article's socketserver example (section 2.2), written the article's way,
# with the fix it left commented out: `if not self.data: break`.
#
# Two changes for the book's conventions: the port comes from `--port`
# (0 lets the OS choose) and the first line printed is `listening on ADDR`.
# `--quiet` leaves out the per-message printing, and `--backlog N` sets
# `request_queue_size` (5 by default), both for the benchmark.
import socketserver
import sys


class MyTCPHandler(socketserver.BaseRequestHandler):
    """A new instance is made for every connection."""

    def handle(self):
        while True:
            try:
                self.data = self.request.recv(1024).strip()
                if not self.data:
                    if not QUIET:
                        print("client disconnected", flush=True)
                    break
                if not QUIET:
                    print("{} wrote:".format(self.client_address[0]))
                    print(self.data, flush=True)
                # send back the same data, upper-cased
                self.request.send(self.data.upper())
            except ConnectionResetError as e:
                print(e)
                break


def option(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


QUIET = "--quiet" in sys.argv

if __name__ == "__main__":
    HOST, PORT = "127.0.0.1", int(option("--port", "9999"))
    socketserver.ThreadingTCPServer.request_queue_size = int(option("--backlog", "5"))
    server = socketserver.ThreadingTCPServer((HOST, PORT), MyTCPHandler)
    print("listening on %s:%d" % server.server_address, flush=True)
    server.serve_forever()
