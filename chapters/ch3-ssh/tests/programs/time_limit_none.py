# A WRONG answer to ch3-time-limit, for the checker's tests: the course's
# os.popen(cmd).read(), with no time limit at all.
import os, socket, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)
while True:
    conn, _ = server.accept()
    while True:
        cmd = conn.recv(1024)
        if not cmd:
            break
        out = os.popen(cmd.decode()).read().encode() or "这条命令错误".encode()
        conn.sendall(str(len(out)).encode())
        conn.recv(1024)
        conn.sendall(out)
    conn.close()
