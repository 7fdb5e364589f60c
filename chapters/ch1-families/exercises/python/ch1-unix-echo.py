"""Exercise ch1-unix-echo in Python: a Unix datagram echo server that
replies to each sender's path.

    cargo exercise check ch1-unix-echo --cmd "python3 ch1-unix-echo.py {path}"
"""

import os
import socket
import stat
import sys

path = sys.argv[1]


def remove_stale_socket(path):
    """Removes a socket file that nobody answers on, as a killed server
    leaves it; anything else at the path is an error."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        sys.exit("%s exists and is not a socket; not removing it" % path)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)
        return
    finally:
        probe.close()
    sys.exit("another program is serving on %s" % path)


remove_stale_socket(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
print("listening on %s" % path, flush=True)

try:
    while True:
        data, sender = sock.recvfrom(65536)
        if not sender:
            # An unbound client has no address: nowhere to reply.
            continue
        try:
            sock.sendto(data, sender)
        except OSError as e:
            print("cannot echo to %s: %s" % (sender, e), file=sys.stderr)
finally:
    os.unlink(path)
