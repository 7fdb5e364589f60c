"""Exercise ch3-time-limit in Python: the course's ssh server, with a time
limit on every command.

    cargo exercise check ch3-time-limit --cmd "python3 ch3-time-limit.py --port {port} --time-limit 1"

A command still running after the limit is killed with every process it
started; its result is what it printed until then, then "killed: time limit".
"""

import argparse
import os
import signal
import socket
import subprocess

KILLED = b"killed: time limit\n"


def run_limited(cmd, limit):
    p = subprocess.Popen(["sh", "-c", cmd], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=limit)
        return out
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # the whole group, not the shell alone
        out, _ = p.communicate()
        return out + KILLED


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=9999)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    server = socket.socket()
    server.bind(("127.0.0.1", args.port))
    server.listen()
    print("listening on %s:%d" % server.getsockname(), flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            while True:
                cmd = conn.recv(1024)
                if not cmd:
                    break
                out = run_limited(cmd.decode(), args.time_limit) or "这条命令错误".encode()
                conn.sendall(str(len(out)).encode())
                if not conn.recv(1024):
                    break
                conn.sendall(out)


main()
