# WRONG answers to ch4-file-md5, for the checker's tests. `--bug` says how:
#   whole:        hashes the whole file read at once (right digests, memory
#                 that grows with the file)
#   first-read:   hashes and counts only the first read of 64 KiB
#   whole-buffer: reads into one buffer and hashes all of it every time,
#                 not only the bytes the read returned
import argparse, hashlib, os, socket, threading

CHUNK = 64 * 1024

def md5_of(f, bug):
    md5, size = hashlib.md5(), 0
    if bug == "whole":
        data = f.read()
        md5.update(data)
        return len(data), md5.hexdigest()
    buf = bytearray(CHUNK)
    while True:
        n = f.readinto(buf)
        if not n:
            break
        md5.update(buf if bug == "whole-buffer" else buf[:n])
        size += n
        if bug == "first-read":
            break
    return size, md5.hexdigest()

def serve(conn, root, bug):
    for line in conn.makefile("rb"):
        name = line.decode().rstrip("\n")[5:]
        try:
            with open(os.path.join(root, name), "rb") as f:
                size, digest = md5_of(f, bug)
            conn.sendall(b"stat %d %s\n" % (size, digest.encode()))
        except OSError:
            conn.sendall(b"error not-found no such file\n")

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("--root")
parser.add_argument("--bug", choices=["whole", "first-read", "whole-buffer"])
args = parser.parse_args()
s = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % s.getsockname(), flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c, args.root, args.bug), daemon=True).start()
