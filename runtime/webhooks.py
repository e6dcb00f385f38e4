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
| 503 | the app database is unreachable (Canvas will retry) |
"""

from __future__ import annotations

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


def webhooks_router(inbox: Inbox, config: LiveEventsConfig) -> APIRouter:
    """The webhook routes, bound to an inbox and the Live Events settings."""
    router = APIRouter(tags=["webhooks"])

    async def refuse(code: int, raw: bytes, reason: str) -> HTTPException:
        """Keep the raw body as a dead row, then build the 4xx that says why."""
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
        responses={400: {}, 401: {}, 413: {}, 422: {}, 503: {}},
    )
    async def canvas_live_event(request: Request) -> dict[str, Any]:
        """Verify, map and store a Live Event; answer as soon as it is stored."""
        raw, too_big = await _read_limited(request, config.max_body_bytes)
        if too_big:
            reason = f"body larger than {config.max_body_bytes} bytes (first bytes kept)"
            raise await refuse(status.HTTP_413_CONTENT_TOO_LARGE, raw, reason)
        try:
            envelope = decode_body(raw, config)
        except UnsignedEvent as exc:
            raise await refuse(status.HTTP_401_UNAUTHORIZED, raw, str(exc)) from None
        except MalformedEvent as exc:
            raise await refuse(status.HTTP_400_BAD_REQUEST, raw, str(exc)) from None
        try:
            event = event_from_envelope(envelope)
        except IgnoredEvent as exc:
            return {"status": "ignored", "reason": str(exc)}
        except MalformedEvent as exc:
            raise await refuse(status.HTTP_422_UNPROCESSABLE_CONTENT, raw, str(exc)) from None
        try:
            new = await run_in_threadpool(lambda: inbox.store(event, source=SOURCE))
        except SQLAlchemyError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, {"reason": "inbox unavailable; retry"}
            ) from None
        return {"status": "stored" if new else "duplicate", "event_id": event.event_id}

    return router
