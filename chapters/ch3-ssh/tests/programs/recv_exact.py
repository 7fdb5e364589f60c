# A right answer to ch3-recv-exact in Python, for the checker's tests: the
# article's loop, asking for no more than is missing.
import socket, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)
while True:
    conn, addr = server.accept()
    while True:
        header = conn.recv(1024)
        if not header:
            break
        length = int(header.decode())
        conn.send(b"OK")
        data = b""
        while len(data) < length:
            chunk = conn.recv(min(65536, length - len(data)))
            if not chunk:
                break
            data += chunk
        if len(data) < length:
            break
        conn.sendall(data)
    conn.close()
