# The article's ftp client (section 1.4), written the article's way, for
# interop tests, with the one fix it needs to work at all:
# `received += len(data)` (the article has `=+`, see article_client_buggy.py).
# Also needed here: --port, and ending at the end of stdin (input() raises
# EOFError there). It still waits forever if the server never answers.
import hashlib
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 1999

client = socket.socket()
client.connect(("127.0.0.1", port))

while True:
    try:
        cmd = input("file to fetch [get NAME]>>> ").strip()
    except EOFError:
        break
    if len(cmd) == 0:
        continue
    if cmd.startswith("get"):
        name = cmd.split()[1]
        client.send(cmd.encode("utf-8"))
        data = client.recv(1024)
        total = int(data.decode())
        client.send(b"OK")
        received = 0
        f = open(name, "wb")
        md5 = hashlib.md5()
        while received < total:
            left = total - received
            if left < 1024:
                size = left
            else:
                size = 1024
            data = client.recv(size)  # never more than is still owed
            md5.update(data)
            f.write(data)
            received += len(data)
        f.close()
        theirs = client.recv(1024).decode()
        if md5.hexdigest() == theirs:
            print("md5 matches, transfer complete", flush=True)
        else:
            print("transfer error: md5 differs", flush=True)
    else:
        print("usage: get NAME")
        continue
client.close()
