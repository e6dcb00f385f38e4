"""What the simulator was asked: ``/api/`` requests counted by the status of their answer.

A benchmark reads these through ``GET /sim/requests`` to count a run's Canvas requests and
429s where they happen, at the server: a client's own counters miss other processes (a fleet of
workers) and hide nothing they retried. The middleware is the outermost one, so a proxy fault
counts as the answer the client saw; a connection dropped before any answer counts as status 0.
"""

from __future__ import annotations

import threading
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RequestCounts:
    """Answers to ``/api/`` requests by HTTP status, since the simulator started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_status: Counter[int] = Counter()

    def add(self, status: int) -> None:
        """Count one answered (or, with 0, dropped) request."""
        with self._lock:
            self._by_status[status] += 1

    def snapshot(self) -> dict[str, object]:
        """``requests`` in all, ``throttled`` (429) of them, and ``by_status``."""
        with self._lock:
            by_status = dict(self._by_status)
        return {
            "requests": sum(by_status.values()),
            "throttled": by_status.get(429, 0),
            "by_status": {str(k): v for k, v in sorted(by_status.items())},
        }


class CountingMiddleware:
    """ASGI middleware adding each ``/api/`` request's answer status to :class:`RequestCounts`."""

    def __init__(self, app: ASGIApp, counts: RequestCounts) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, noting the status of the answer as it starts."""
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        status = 0

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            self.counts.add(status)
