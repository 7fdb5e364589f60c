# A WRONG answer to ch4-ftp-client, for the checker's tests: it receives
# exactly the announced bytes and the digest, but never compares the digest.
import os, socket, sys
args = sys.argv
port = int(args[args.index("--port") + 1])
folder = args[args.index("--dir") + 1]
client = socket.create_connection(("127.0.0.1", port))
for line in sys.stdin:
    name = line.strip()[4:]
    client.sendall(b"get " + name.encode())
    header = client.recv(1024)
    if header.startswith(b"error: "):
        print(f"error {name}: {header[7:].decode()}", flush=True)
        continue
    total, received = int(header), 0
    client.sendall(b"OK")
    with open(os.path.join(folder, name), "wb") as f:
        while received < total:
            data = client.recv(min(65536, total - received))
            if not data:
                sys.exit(1)
            f.write(data)
            received += len(data)
    client.recv(32)  # the digest, unread
    print(f"ok {name}", flush=True)
