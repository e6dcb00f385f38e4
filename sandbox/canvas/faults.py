"""Fault injection: what an unreliable network and proxy in front of Canvas do.

For each ``/api/v1`` request the dice decide, in this order: added latency
(``latency_ms`` plus up to ``latency_jitter_ms``); a dropped connection (``drop_rate``); or a
500/502/503 answer (``error_rate``). A fault is injected *before* the request reaches Canvas or,
for a share ``after_effect_share`` of faults, *after* Canvas has run and committed it and its
answer is thrown away: the client then cannot know whether its write happened, which is what
makes retries need idempotency. ``/sim/*`` endpoints never fault, so tests can always reset.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from enum import Enum

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.canvas.config import FaultConfig


class Fault(Enum):
    """What happens to one request."""

    NONE = "none"
    ERROR_BEFORE = "error_before"
    ERROR_AFTER = "error_after"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"


class FaultDice:
    """The current fault configuration and its random source; replaceable at runtime."""

    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.config = config
        self._random = random.Random(config.seed)
        self.injected: dict[str, int] = {f.value: 0 for f in Fault if f is not Fault.NONE}

    def configure(self, config: FaultConfig) -> None:
        """Swap in a new configuration (the ``/sim/faults`` endpoint and the test handle)."""
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)

    def roll(self) -> tuple[Fault, int, float]:
        """Pick the fault, the status for an error, and the added latency in seconds."""
        with self._lock:
            c, r = self.config, self._random
            latency = (c.latency_ms + r.uniform(0, c.latency_jitter_ms)) / 1000.0
            after = r.random() < c.after_effect_share
            dice = r.random()
            status = r.choice(c.error_statuses) if c.error_statuses else 500
            if dice < c.drop_rate:
                fault = Fault.DROP_AFTER if after else Fault.DROP_BEFORE
            elif dice < c.drop_rate + c.error_rate:
                fault = Fault.ERROR_AFTER if after else Fault.ERROR_BEFORE
            else:
                fault = Fault.NONE
            if fault is not Fault.NONE:
                self.injected[fault.value] += 1
            return fault, status, latency


class ConnectionDropped(Exception):
    """Raised to make the server abort the connection without a complete answer."""


async def _drop(receive: Receive, send: Send) -> None:
    """Abort the connection: close the socket if the server exposes it, else break the answer.

    uvicorn's ``receive`` and ``send`` are bound methods of its request cycle, which holds the
    transport; aborting it makes the client see the connection closed with no response.
    Otherwise a response is started with a body length that is never delivered and the app
    raises, which makes the server close the connection mid-response.
    """
    for channel in (receive, send):
        transport = getattr(getattr(channel, "__self__", None), "transport", None)
        if transport is not None and hasattr(transport, "abort"):
            transport.abort()
            return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", b"1000")],
        }
    )
    raise ConnectionDropped("simulated dropped connection")


async def _error(send: Send, status: int) -> None:
    body = json.dumps({"errors": [{"message": f"simulated upstream failure ({status})"}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FaultMiddleware:
    """ASGI middleware applying :class:`FaultDice` to ``/api/v1`` requests."""

    def __init__(self, app: ASGIApp, dice: FaultDice) -> None:
        self.app = app
        self.dice = dice

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay, then fail before, run and fail after, or pass through."""
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        fault, status, latency = self.dice.roll()
        if latency > 0:
            await asyncio.sleep(latency)
        if fault is Fault.DROP_BEFORE:
            await _drop(receive, send)
            return
        if fault is Fault.ERROR_BEFORE:
            await _error(send, status)
            return
        if fault is Fault.NONE:
            await self.app(scope, receive, send)
            return

        async def discard(_: Message) -> None:
            return None

        await self.app(scope, receive, discard)
        if fault is Fault.DROP_AFTER:
            await _drop(receive, send)
        else:
            await _error(send, status)
