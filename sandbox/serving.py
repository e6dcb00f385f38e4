"""Serve an ASGI app on a free loopback port in a background thread, for tests and benchmarks.

Both simulators (Canvas and the chat model) run this way inside a test process: a real HTTP
server, so the real clients (canvasapi, ChatOpenAI) and their retries, timeouts and parsing are
what the tests exercise.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: Any, name: str, *, graceful_seconds: int = 5) -> Iterator[str]:
    """Run ``app`` with uvicorn until the block ends; yields its base URL.

    ``graceful_seconds`` bounds the wait for open connections at shutdown (a simulated model
    that never answers holds its connection open).
    """
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=graceful_seconds,
        )
    )
    thread = threading.Thread(target=server.run, name=f"{name}-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=graceful_seconds + 15)
