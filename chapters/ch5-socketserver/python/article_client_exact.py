# A client for the article's upper-casing server, written exactly the way the
# article writes its clients (the ssh and ftp clients of sections 1.3 and
# 1.4): send the message as it is, with no newline, then take what one
# recv(1024) brings back as the answer.
#
# The Rust server answers it with `--protocol article`. Its default protocol,
# lines, waits for the newline that this client never sends: the two wait
# for each other. (article_client.py adds the newline, and works with both.)
#
# Reads stdin until its end, so a person and a test use it alike. `--port`
# chooses the port. `--timeout S`, which the article does not have, gives up
# waiting for an answer after S seconds: it lets a test show the wait.
import socket
import sys


def option(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect(("127.0.0.1", int(option("--port", "9999"))))
timeout = option("--timeout", None)
if timeout is not None:
    client.settimeout(float(timeout))
try:
    # ANCHOR: exchange
    while True:
        try:
            msg = input(">>:").strip()
        except EOFError:
            break
        if len(msg) == 0:
            continue
        client.send(msg.encode("utf-8"))  # no newline after the message
        data = client.recv(1024)  # the answer: what one recv returns
        print("recv:", data.decode())
    # ANCHOR_END: exchange
except socket.timeout:
    print("no answer within %s s" % timeout, flush=True)
    sys.exit(1)
client.close()
