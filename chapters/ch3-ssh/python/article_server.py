# The article's ssh server (section 1.3), written the article's way, for
# interop tests: one client at a time, os.popen, decimal size, wait for the
# client's acknowledgement, then the result.
#
# Two additions, so a test can use it: --port (0 lets the system choose) and
# a first line "listening on ADDR", flushed.
import os
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen()
print("listening on %s:%d" % server.getsockname(), flush=True)

while True:
    conn, addr = server.accept()
    while True:
        print("wait for new cmd:", flush=True)
        cmd = conn.recv(1024).decode()
        if not cmd:
            print("客户端已断开", flush=True)
            break
        cmd_result = os.popen(cmd).read()
        if len(cmd_result) == 0:
            cmd_result = "这条命令错误"
        length = len(cmd_result.encode("utf-8"))
        conn.send(str(length).encode("utf-8"))
        conn.recv(1024)
        conn.send(cmd_result.encode("utf-8"))
    conn.close()
