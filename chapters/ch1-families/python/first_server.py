# Your first socket: the server. It serves one client, then exits.
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999

server = socket.socket()  # AF_INET, SOCK_STREAM: TCP over IPv4
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # may start again at once
server.bind(("127.0.0.1", port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)

conn, addr = server.accept()  # waits for a client; conn is a new socket
print("connection from %s:%d" % addr)
data = conn.recv(1024)  # waits for bytes: at most 1024, maybe fewer
print("received:", data.decode("utf-8", "replace"))
conn.sendall(data.upper())
conn.close()
server.close()
