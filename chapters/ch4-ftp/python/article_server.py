# The article's ftp server (section 1.4), written the article's way, for
# interop tests. Its bugs are kept on purpose:
#   - a missing file gets no answer at all, so the client waits forever;
#   - a command that is not exactly two words (a name with a space, a bare
#     "get", "hello world again") raises ValueError and kills the server;
#   - the file goes out with send() (not sendall) and the digest right
#     after it: only a client that reads exactly SIZE bytes keeps them apart.
# Changes needed to run it in tests: --port (0 = any) and printing
# "listening on ADDR" first, as every server in the book does.
import hashlib
import os
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 1999

server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen()
host, port = server.getsockname()
print(f"listening on {host}:{port}", flush=True)

while True:
    conn, addr = server.accept()
    while True:
        data = conn.recv(1024).decode()
        if not data:
            print("client disconnected", flush=True)
            break
        cmd, name = data.split()
        if os.path.isfile(name):
            size = os.stat(name).st_size
            conn.send(str(size).encode("utf-8"))
            conn.recv(1024)  # the client's acknowledgement
            md5 = hashlib.md5()
            f = open(name, "rb")
            print("sending the file", flush=True)
            for line in f:
                md5.update(line)
                conn.send(line)
            f.close()
            print("sending the md5", flush=True)
            conn.send(md5.hexdigest().encode("utf-8"))
server.close()
