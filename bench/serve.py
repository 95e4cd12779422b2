"""Start one ASGI server configuration for a benchmark and keep it in the foreground.

    python bench/serve.py KIND PORT WORKERS     # KIND: uvicorn | gunicorn | daphne
    python bench/serve.py --wait PORT           # block until /healthz/ answers (max 60 s)

Environment: bench/env.sh (full mode). The launcher runs the server(s) as children in
its own process group and stops them on SIGTERM/SIGINT, so ``kill <launcher pid>`` ends
the whole configuration. daphne has no --workers: for WORKERS > 1 the launcher binds one
listening socket and starts WORKERS daphne processes on it with ``--fd`` (the kernel
spreads the accepts over them), which is what gunicorn/uvicorn do with their workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
APP = os.environ.get("BENCH_APP", "config.asgi:application")


def wait(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            time.sleep(0.3)
    sys.exit(f"server on {port} did not come up in {timeout}s")


def commands(kind: str, port: int, workers: int) -> tuple[list[list[str]], socket.socket | None]:
    if kind == "uvicorn":
        return [[str(VENV_BIN / "uvicorn"), APP, "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(workers), "--loop", "uvloop", "--http", "httptools",
                 "--no-access-log", "--log-level", "warning", "--lifespan", "on"]], None
    if kind == "gunicorn":
        return [[str(VENV_BIN / "gunicorn"), APP, "-k", "uvicorn.workers.UvicornWorker",
                 "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                 "--backlog", "2048"]], None
    if kind == "daphne":
        if workers == 1:
            return [[str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "-v", "0", APP]], None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(2048)
        sock.setblocking(False)
        fd = sock.fileno()
        os.set_inheritable(fd, True)
        return [[str(VENV_BIN / "daphne"), "--fd", str(fd), "-v", "0", APP]
                for _ in range(workers)], sock
    raise SystemExit(f"unknown server kind {kind}")


def main() -> None:
    if sys.argv[1] == "--wait":
        wait(int(sys.argv[2]))
        return
    kind, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    cmds, sock = commands(kind, port, workers)
    pass_fds = (sock.fileno(),) if sock else ()
    procs = [subprocess.Popen(c, pass_fds=pass_fds) for c in cmds]

    def stop(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(p.poll() is None for p in procs):
        time.sleep(0.5)
    stop()


if __name__ == "__main__":
    main()
