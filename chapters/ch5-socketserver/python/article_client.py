# A client for the article's upper-casing server, written the article's way:
# read a message, skip it if blank, send it, print what one recv(1024) brings.
#
# It sends a newline after each message: the article's server strips it, and
# the Rust server reads one line per message. (article_client_exact.py leaves
# the newline out, as the article's clients do.) Reads stdin until its end,
# so a person and a test use it alike; `--port` chooses the port.
import socket
import sys


def option(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", int(option("--port", "9999"))))
while True:
    try:
        msg = input(">>:").strip()
    except EOFError:
        break
    if len(msg) == 0:
        continue
    client.send((msg + "\n").encode("utf-8"))
    data = client.recv(1024)
    print("recv:", data.decode())
client.close()
