# A WRONG answer to ch3-frame-codec, for the checker's tests: it echoes
# frames but never checks the length against the limit.
import socket, struct, sys, threading
port = int(sys.argv[sys.argv.index("--port") + 1])

def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(min(65536, n - len(data)))
        if not chunk:
            return None
        data += chunk
    return data

def serve(conn):
    while True:
        header = recv_exact(conn, 5)
        if header is None:
            break
        (length,) = struct.unpack(">I", header[:4])
        payload = recv_exact(conn, length)
        if payload is None:
            break
        conn.sendall(header + payload)
    conn.close()

server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)
while True:
    conn, addr = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
