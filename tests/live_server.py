"""Any ASGI app under a real uvicorn, in a thread, on a free loopback port (REST and UI tests)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

# One TLS context for every test client: httpx otherwise builds one per client (reading the
# CA bundle, about 30 ms), and the suite opens hundreds of clients to loopback http.
SHARED_TLS = ssl.create_default_context()


@dataclass
class RunningApp:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def run_app(app: Any, timeout: float = 60.0) -> RunningApp:
    """Serve ``app`` until :meth:`RunningApp.stop`; returns once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    running = RunningApp(f"http://127.0.0.1:{port}", server, thread)
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            running.stop()
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return running
