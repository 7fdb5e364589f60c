"""Exercise ch6-graceful-shutdown in Python: on SIGTERM or SIGINT, stop
accepting, finish what is in flight, exit 0.

    cargo exercise check ch6-graceful-shutdown --cmd "python3 ch6-graceful-shutdown.py --port {port}"
"""

import argparse
import asyncio
import signal
import socket

GRACE = 3.0  # seconds the connections get to finish


async def serve_connection(reader, writer, stopping):
    """Answers lines until the client leaves; when stopping is set, stops
    reading after what has arrived."""
    sock = writer.get_extra_info("socket")

    async def stop_reading():
        await stopping.wait()
        try:
            sock.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    watcher = asyncio.create_task(stop_reading())
    try:
        while True:
            line = await reader.readline()
            if not line.endswith(b"\n"):
                break  # the end, or a line that will never be finished
            answer = line.strip().upper()
            if answer:
                writer.write(answer)
                await writer.drain()
    except ConnectionError:
        pass
    finally:
        watcher.cancel()
        writer.close()


async def main(port):
    stopping = asyncio.Event()
    tasks = set()

    async def on_client(reader, writer):
        task = asyncio.current_task()
        tasks.add(task)
        try:
            await serve_connection(reader, writer, stopping)
        finally:
            tasks.discard(task)

    server = await asyncio.start_server(on_client, "127.0.0.1", port)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    print("listening on %s:%d" % server.sockets[0].getsockname(), flush=True)

    await stopping.wait()
    server.close()  # newcomers are refused
    if tasks:  # the tasks stop reading; wait for them, for a bounded time
        await asyncio.wait(set(tasks), timeout=GRACE)


parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=9999)
args = parser.parse_args()
asyncio.run(main(args.port))
