# A WRONG answer to ch3-ssh-client, for the checker's tests: it receives the
# result with one recv() that asks for the whole size, and trusts it.
import socket, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
client = socket.create_connection(("127.0.0.1", port))
for line in sys.stdin.buffer:
    cmd = line.rstrip(b"\n")
    if not cmd:
        continue
    client.sendall(cmd)
    size = int(client.recv(1024))
    client.sendall(b"OK")
    sys.stdout.buffer.write(client.recv(size))
    sys.stdout.flush()
