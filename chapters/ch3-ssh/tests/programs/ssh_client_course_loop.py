# A WRONG answer to ch3-ssh-client, for the checker's tests: the course's
# loop, `while receive_size < length: data = client.recv(1024)`, which never
# ends when the server goes away (recv returns b"" for ever).
import socket, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
client = socket.create_connection(("127.0.0.1", port))
for line in sys.stdin.buffer:
    cmd = line.rstrip(b"\n")
    if not cmd:
        continue
    client.sendall(cmd)
    length = int(client.recv(1024))
    client.sendall(b"OK")
    receive_size = 0
    while receive_size < length:
        data = client.recv(1024)
        receive_size += len(data)
        sys.stdout.buffer.write(data)
    sys.stdout.flush()
