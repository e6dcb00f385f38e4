"""``POST /webhooks/canvas``: Canvas Live Events in, stored once, 2xx as soon as they are stored.

Canvas wants an answer within 15 s and retries otherwise, so the route does no work beyond
verifying, mapping and one insert. Bad input gets a 4xx with the reason *and* is kept: the raw
body is stored as a dead inbox row (``bca events replay`` re-parses it after a fix), except an
oversized body, of which only the first ``max_body_bytes`` are kept for diagnosis.

| answer | when |
|---|---|
| 200 ``stored`` / ``duplicate`` | the event is in the inbox (new, or a redelivery) |
| 200 ``ignored`` | a well-formed event of a name the agents do not act on |
| 400 | not JSON / not an envelope; 401: signing required and no valid signature |
| 413 | body larger than the limit; 422: an envelope that does not make a valid event |
| 429 | more refused bodies from this address in a minute than ``rejected_per_minute`` |
| 503 | the app database is unreachable (Canvas will retry) |

Anyone can reach the route, and every refusal is a stored row: past the per-address budget a
refusal is answered 429 with ``Retry-After`` and not stored, so a flood cannot fill the inbox.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from runtime.inbox import Inbox
from runtime.intake import IgnoredEvent, MalformedEvent
from runtime.intake.canvas import (
    SOURCE,
    LiveEventsConfig,
    UnsignedEvent,
    decode_body,
    event_from_envelope,
)


async def _read_limited(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, or its first ``limit`` bytes and True when it is larger (never all in memory)."""
    declared = request.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    too_big = declared.isdigit() and int(declared) > limit
    return b"".join(chunks), too_big


WINDOW_S = 60.0
MAX_ADDRESSES = 10_000
"""Addresses remembered at once; past it, those idle for a whole window are forgotten."""


class RejectionBudget:
    """How many refusals each client address may still have kept this minute (sliding window)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def spend(self, address: str) -> int | None:
        """Record one refusal; None when it may be kept, else the seconds until one may."""
        now = self._clock()
        with self._lock:
            if len(self._seen) > MAX_ADDRESSES:
                self._seen = {a: t for a, t in self._seen.items() if now - t[-1] < WINDOW_S}
            times = self._seen.setdefault(address, deque())
            while times and now - times[0] >= WINDOW_S:
                times.popleft()
            if len(times) >= self.per_minute:
                return max(1, int(WINDOW_S - (now - times[0])) + 1)
            times.append(now)
            return None


def webhooks_router(inbox: Inbox, config: LiveEventsConfig) -> APIRouter:
    """The webhook routes, bound to an inbox and the Live Events settings."""
    router = APIRouter(tags=["webhooks"])
    budget = RejectionBudget(config.rejected_per_minute)

    async def refuse(request: Request, code: int, raw: bytes, reason: str) -> HTTPException:
        """Keep the raw body as a dead row, then build the 4xx that says why."""
        address = request.client.host if request.client else "unknown"
        retry_after = budget.spend(address)
        if retry_after is not None:
            return HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                {"reason": reason, "stored": False, "retry_after": retry_after},
                headers={"Retry-After": str(retry_after)},
            )
        detail: dict[str, Any] = {"reason": reason}
        try:
            detail["event_id"] = await run_in_threadpool(
                lambda: inbox.store_malformed(source=SOURCE, raw_body=raw, reason=reason)
            )
        except SQLAlchemyError:
            detail["stored"] = False
        return HTTPException(status_code=code, detail=detail)

    @router.post(
        "/webhooks/canvas",
        summary="Receive one Canvas Live Event",
        responses={400: {}, 401: {}, 413: {}, 422: {}, 429: {}, 503: {}},
    )
    async def canvas_live_event(request: Request) -> dict[str, Any]:
        """Verify, map and store a Live Event; answer as soon as it is stored."""
        raw, too_big = await _read_limited(request, config.max_body_bytes)
        if too_big:
            reason = f"body larger than {config.max_body_bytes} bytes (first bytes kept)"
            raise await refuse(request, status.HTTP_413_CONTENT_TOO_LARGE, raw, reason)
        try:
            envelope = decode_body(raw, config)
        except UnsignedEvent as exc:
            raise await refuse(request, status.HTTP_401_UNAUTHORIZED, raw, str(exc)) from None
        except MalformedEvent as exc:
            raise await refuse(request, status.HTTP_400_BAD_REQUEST, raw, str(exc)) from None
        try:
            event = event_from_envelope(envelope)
        except IgnoredEvent as exc:
            return {"status": "ignored", "reason": str(exc)}
        except MalformedEvent as exc:
            raise await refuse(
                request, status.HTTP_422_UNPROCESSABLE_CONTENT, raw, str(exc)
            ) from None
        try:
            new = await run_in_threadpool(lambda: inbox.store(event, source=SOURCE))
        except SQLAlchemyError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, {"reason": "inbox unavailable; retry"}
            ) from None
        return {"status": "stored" if new else "duplicate", "event_id": event.event_id}

    return router
