"""``/api/events``: the inbox for the staff who run the system (list, replay)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from runtime.api.auth import Operator
from runtime.api.services import Deps
from runtime.inbox import InboxRecord, Status

router = APIRouter(prefix="/api/events", tags=["events"])


class EventSummary(BaseModel):
    """One inbox row without its payload or raw body."""

    event_id: str
    kind: str | None
    subject_key: str | None
    source: str
    status: Status
    attempts: int
    occurred_at: datetime
    received_at: datetime
    next_attempt_at: datetime
    last_error: str | None

    @classmethod
    def of(cls, record: InboxRecord) -> EventSummary:
        """The summary of a stored row."""
        return cls.model_validate(record.summary())


class EventList(BaseModel):
    """A page of events (newest first) and the counts by status over the whole inbox."""

    counts: dict[Status, int]
    events: list[EventSummary]


class Replayed(BaseModel):
    """Which event id will be processed (a malformed row is re-parsed into a new id)."""

    queued: str


def list_page(
    deps: Deps,
    statuses: list[Status],
    kind: str | None,
    source: str | None,
    subject: str | None,
    limit: int,
    offset: int,
) -> EventList:
    """The filtered page and the counts; shared by the API and the event monitor."""
    records = deps.inbox.list_events(
        statuses=statuses, kind=kind, source=source, subject_key=subject, limit=limit, offset=offset
    )
    return EventList(counts=deps.inbox.counts(), events=[EventSummary.of(r) for r in records])


@router.get("", summary="List inbox events", response_model=EventList)
async def list_events(
    deps: Deps,
    _caller: Operator,
    status: Annotated[list[Status], Query(description="Only these statuses.")] = [],  # noqa: B006
    kind: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=32)] = None,
    subject: Annotated[str | None, Query(max_length=255)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**62, description="Events to skip.")] = 0,
) -> EventList:
    """Events newest first, filtered by status, kind, source and subject key."""
    return await run_in_threadpool(list_page, deps, status, kind, source, subject, limit, offset)


@router.post(
    "/{event_id}/replay",
    summary="Replay a failed, dead or done event",
    response_model=Replayed,
    responses={404: {}, 409: {}, 422: {}},
)
async def replay_event(
    deps: Deps, _caller: Operator, event_id: Annotated[str, Path(max_length=200)]
) -> Replayed:
    """Queue the event again; a malformed one is re-parsed with the current code first."""
    queued = await run_in_threadpool(deps.inbox.replay, event_id, reparse=deps.reparse)
    return Replayed(queued=queued)
