# The article's server with the acknowledgement left out: it sends the size
# and the result back to back. Used to show the sticky-packet problem: a
# client that reads after both sends are done gets them in one recv.
#
# After its two sends it prints "sent" and flushes, so a test knows both
# sends are done before it lets the client read.
import os
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)

conn, addr = server.accept()
conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
cmd = conn.recv(1024).decode()
cmd_result = os.popen(cmd).read()
length = len(cmd_result.encode("utf-8"))
conn.send(str(length).encode("utf-8"))
conn.send(cmd_result.encode("utf-8"))
print("sent", flush=True)
conn.recv(1024)
conn.close()
