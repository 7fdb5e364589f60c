# Your first socket: the client. It sends one message and prints the reply.
import socket
import sys

port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 9999

client = socket.socket()  # AF_INET, SOCK_STREAM: TCP over IPv4
client.connect(("127.0.0.1", port))
message = "Hello, world!"
client.sendall(message.encode("utf-8"))
print("sent:", message)
data = client.recv(1024)  # waits for bytes: at most 1024, maybe fewer
print("received:", data.decode("utf-8", "replace"))
client.close()
