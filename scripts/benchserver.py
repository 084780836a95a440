"""What the benchmark scripts share: a free loopback port and a `podium serve` started on it.

Import it from a script in this folder (`from benchserver import free_port, serving`)."""
import contextlib
import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(podium, database, *extra):
    """`podium serve` on a free loopback port over `database`, rate limits lifted, until the block
    ends; yields the port once the server accepts connections."""
    port = free_port()
    server = subprocess.Popen(
        [podium, "serve", "--hostname", "127.0.0.1", "--port", str(port), "--database", database,
         "--rate-limit", "1000000000", "--rate-burst", "1000000000", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait()
