# WRONG answers to ch4-resume-server, for the checker's tests. `--bug` says how:
#   md5-of-range:   MD5 is the md5 of the bytes sent, not of the whole file
#   past-end-error: an offset past the end gets an error, not the file from 0
#   close-on-error: an error reply ends the connection
#   ignore-offset:  says START but sends the whole file
#   one-at-a-time:  serves one client after the other, on one thread
import argparse, hashlib, os, socket, struct, threading

def recv_exact(conn, n):
    data = b""
    while len(data) < n:
        more = conn.recv(n - len(data))
        if not more:
            return None
        data += more
    return data

def send_frame(conn, text):
    conn.sendall(struct.pack(">I", len(text)) + text.encode())

def serve(conn, root, bug):
    while True:
        head = recv_exact(conn, 4)
        if head is None:
            return
        words = recv_exact(conn, struct.unpack(">I", head)[0]).decode().split(" ", 2)
        error = None
        if len(words) != 3 or words[0] != "get" or not words[1].isdigit():
            error = "error bad-request usage: get OFFSET NAME"
        else:
            offset, path = int(words[1]), os.path.join(root, words[2])
            if not os.path.isfile(path):
                error = "error not-found no such file"
        if error:
            send_frame(conn, error)
            if bug == "close-on-error":
                conn.close()
                return
            continue
        data = open(path, "rb").read()
        start = offset if offset <= len(data) else 0
        if bug == "past-end-error" and offset > len(data):
            send_frame(conn, "error bad-request offset past the end")
            continue
        sent = data if bug == "ignore-offset" else data[start:]
        hashed = data[start:] if bug == "md5-of-range" else data
        send_frame(conn, "file %d %d %s" % (len(data), start, hashlib.md5(hashed).hexdigest()))
        conn.sendall(sent)

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int)
parser.add_argument("--root")
parser.add_argument("--bug", choices=["md5-of-range", "past-end-error", "close-on-error", "ignore-offset", "one-at-a-time"])
args = parser.parse_args()
s = socket.create_server(("127.0.0.1", args.port))
print("listening on %s:%d" % s.getsockname(), flush=True)
while True:
    c, _ = s.accept()
    if args.bug == "one-at-a-time":
        serve(c, args.root, args.bug)
    else:
        threading.Thread(target=serve, args=(c, args.root, args.bug), daemon=True).start()
