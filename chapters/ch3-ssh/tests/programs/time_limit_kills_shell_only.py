# A WRONG answer to ch3-time-limit, for the checker's tests: it uses
# subprocess.run(timeout=...), which kills the shell alone; what the shell
# started in the background lives on.
import socket, subprocess, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
limit = float(sys.argv[sys.argv.index("--time-limit") + 1])
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
        try:
            out = subprocess.run(["sh", "-c", cmd.decode()], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, timeout=limit).stdout
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"") + b"killed: time limit\n"
        out = out or "这条命令错误".encode()
        conn.sendall(str(len(out)).encode())
        conn.recv(1024)
        conn.sendall(out)
    conn.close()
