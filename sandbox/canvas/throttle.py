"""Canvas's request throttle: a leaky bucket per access token.

Semantics follow canvas-lms ``app/middleware/request_throttle.rb`` and its
``increment_bucket.lua``:

* Every bucket holds a ``count``. Each update first *leaks* ``outflow × seconds since last
  touched`` from it, then adds the amount, then clamps it to ``[0, maximum]``.
* When a request arrives the bucket is incremented by ``up_front_cost`` (default 50), a
  placeholder that makes parallel requests expensive. If the bucket is then *full*
  (``count >= hwm``, default 600) the request is refused; otherwise it runs.
* When it finishes, the bucket is incremented by ``cost - up_front_cost``: the placeholder is
  credited back and only the real cost stays. Canvas's cost is user CPU plus database seconds;
  here it is handler wall-clock seconds × ``cost_weight`` plus a fixed ``extra_cost`` (Canvas's
  ``extra-request-cost``), both configurable.
* ``X-Rate-Limit-Remaining`` is ``hwm - count`` after that final increment, and
  ``X-Request-Cost`` the cost. With the defaults (``extra_cost`` 0.1, see
  :class:`~sandbox.canvas.config.ThrottleConfig`) a client making one request at a time is
  throttled only when it keeps up more than about 100 requests a second for several thousand
  requests (1,000 back-to-back requests leave the bucket near 80); about a dozen concurrent
  requests on one token are refused at once, for their up-front costs.

Differences from Canvas, on purpose: a refused request gets **429** with a JSON body (Canvas
moved from 403 to 429) plus a ``Retry-After`` estimate, and carries ``X-Request-Cost: 0`` so that
every response has both headers. Requests without a token are bucketed by client address.
``/sim/*`` control endpoints are not throttled.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.canvas.config import ThrottleConfig


@dataclass
class _Bucket:
    count: float = 0.0
    last_touched: float = 0.0


class LeakyBuckets:
    """All buckets of one simulator, keyed by client identifier."""

    def __init__(self, config: ThrottleConfig) -> None:
        self.config = config
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def increment(self, client: str, amount: float, now: float | None = None) -> float:
        """Leak, add ``amount``, clamp; returns the new count (the Lua script's job)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.setdefault(client, _Bucket(0.0, now))
            if bucket.count > 0:
                bucket.count -= max(0.0, self.config.outflow * (now - bucket.last_touched))
            bucket.count = min(self.config.maximum, max(0.0, bucket.count + amount))
            bucket.last_touched = now
            return bucket.count

    def remaining(self, count: float) -> float:
        """What Canvas reports in ``X-Rate-Limit-Remaining``."""
        return self.config.hwm - count

    def reset(self) -> None:
        """Empty every bucket (control endpoint, tests)."""
        with self._lock:
            self._buckets.clear()


def _client_identifier(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            token: str = value.decode("latin-1").removeprefix("Bearer ").strip()
            if token:
                return "token:" + token
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"


def _format(value: float) -> bytes:
    return repr(round(value, 6)).encode()


class ThrottleMiddleware:
    """ASGI middleware applying :class:`LeakyBuckets` to ``/api/v1`` requests."""

    def __init__(self, app: ASGIApp, buckets: LeakyBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Reserve, decide, run, settle: the order of Canvas's ``reserve_capacity``."""
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        config = self.buckets.config
        client = _client_identifier(scope)
        up_front = config.up_front_cost if config.enabled else 0.0
        started = time.monotonic()
        count = self.buckets.increment(client, up_front, started)
        if config.enabled and count >= config.hwm:
            count = self.buckets.increment(client, -up_front)
            await self._refuse(send, count)
            return
        settled = False

        async def settle_and_send(message: Message) -> None:
            nonlocal settled
            if message["type"] == "http.response.start" and not settled:
                settled = True
                cost = (time.monotonic() - started) * config.cost_weight + config.extra_cost
                final = self.buckets.increment(client, cost - up_front)
                headers = list(message.get("headers", []))
                headers.append((b"x-request-cost", _format(cost)))
                headers.append((b"x-rate-limit-remaining", _format(self.buckets.remaining(final))))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, settle_and_send)
        finally:
            if not settled:
                self.buckets.increment(client, -up_front)

    async def _refuse(self, send: Send, count: float) -> None:
        config = self.buckets.config
        wait = (count - config.hwm) / config.outflow + 1 if config.outflow else 60.0
        body = json.dumps({"errors": [{"message": "Rate Limit Exceeded"}]}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-cost", b"0"),
                    (b"x-rate-limit-remaining", _format(self.buckets.remaining(count))),
                    (b"retry-after", str(max(1, math.ceil(wait))).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
