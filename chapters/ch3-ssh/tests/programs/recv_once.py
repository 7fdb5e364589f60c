# A WRONG answer to ch3-recv-exact, for the checker's tests: it trusts one
# recv(1024) to hold the whole upload.
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
        conn.send(b"OK")
        conn.sendall(conn.recv(1024))
    conn.close()
