"""``bca notify-sink``: a local webhook receiver for the sandbox and the tests.

It answers any POST like a Slack or Teams incoming webhook, keeps each accepted post as one
JSON line (``{"key", "path", "repeat", "body"}``) in memory and, if given, in a file; a post
whose ``Idempotency-Key`` it has accepted before is answered 200 and counted as a repeat, not
as a new message. ``fail_first`` answers 500 to the first N posts, ``delay`` waits before
answering (a receiver that times out), both to exercise the deliverer's retries.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class SinkState:
    """What the receiver has seen; shared by its request threads."""

    fail_first: int = 0
    delay: float = 0.0
    out: Path | None = None
    posts: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def keys(self) -> list[str]:
        """The distinct idempotency keys accepted, in the order first seen: messages in effect."""
        return [p["key"] for p in self.posts if not p["repeat"]]

    def receive(self, path: str, key: str, body: Any) -> int:
        """Record one post; the HTTP status to answer."""
        with self._lock:
            if self.refused < self.fail_first:
                self.refused += 1
                return 500
            line = {"key": key, "path": path, "repeat": key in self.keys, "body": body}
            self.posts.append(line)
            if self.out is not None:
                with self.out.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(line) + "\n")
            return 200


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        """Accept, refuse or delay one webhook post."""
        state = self.server.state
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if state.delay:
            time.sleep(state.delay)
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        status = state.receive(self.path, self.headers.get("Idempotency-Key", ""), body)
        payload = b"ok" if status == 200 else b"refused (fail-first)"
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the posts are in the JSON lines, not in an access log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SinkState) -> None:
        super().__init__(address, _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up waiting (``delay``) is expected; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Sink:
    """A running receiver: its URL and what it has seen."""

    url: str
    state: SinkState
    server: _Server


def serve(host: str, port: int, state: SinkState) -> _Server:
    """A receiver bound to ``host:port`` (0: a free port), not yet serving."""
    return _Server((host, port), state)


@contextmanager
def running_sink(
    *, fail_first: int = 0, delay: float = 0.0, out: Path | None = None
) -> Iterator[Sink]:
    """A receiver on a free loopback port, in a thread, for as long as the block runs."""
    server = serve("127.0.0.1", 0, SinkState(fail_first=fail_first, delay=delay, out=out))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Sink(f"http://127.0.0.1:{server.server_address[1]}/hook", server.state, server)
    finally:
        server.shutdown()
        server.server_close()
