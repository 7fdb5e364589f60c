# A WRONG answer to ch4-ftp-client, for the checker's tests: the course's
# way, which writes straight to the file's own name and only then compares
# the md5: a mismatch is reported, but the wrong file stays.
import hashlib, os, socket, sys
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
    total, received, md5 = int(header), 0, hashlib.md5()
    client.sendall(b"OK")
    with open(os.path.join(folder, name), "wb") as f:
        while received < total:
            data = client.recv(min(65536, total - received))
            if not data:
                sys.exit(1)
            md5.update(data)
            f.write(data)
            received += len(data)
    digest = client.recv(32)
    print(("ok " if md5.hexdigest().encode() == digest else "mismatch ") + name, flush=True)
