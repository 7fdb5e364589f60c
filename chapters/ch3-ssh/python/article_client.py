# The article's ssh client (section 1.3), written the article's way, for
# interop tests. Fixed where the printed listing is broken: the size is made
# an int before the comparison, and the loop is `while receive_size < length`.
#
# Additions: --port, and the end of stdin ends the program (input() raises
# EOFError there).
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999

client = socket.socket()
client.connect(("127.0.0.1", port))

while True:
    try:
        cmd = input("输入指令:")
    except EOFError:
        break
    if len(cmd) == 0:
        continue
    client.send(cmd.encode("utf-8"))
    length = int(client.recv(1024).decode())
    print("命令结果大小:", length)
    receive_size = 0
    receive_data = b""
    client.send(b"OK")
    while receive_size < length:
        data = client.recv(1024)
        receive_size += len(data)
        receive_data += data
    print("命令结果实际大小:", receive_size)
    print(receive_data.decode())

client.close()
