# The article's ftp client with its bug kept: `received =+ len(data)`
# assigns +len(data) instead of adding it, so `received` never grows past
# one chunk. The loop goes on reading: it swallows the md5 digest as file
# data, then waits forever for bytes that never come.
# Changes needed to run it in tests: --port, and ending at the end of stdin.
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
            received =+ len(data)  # the article's bug: assigns, never adds
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
