"""The durable inbox: every event stored once, processed at least once, applied in subject order.

One table, ``inbox_events``, in the app database (SQLite embedded, PostgreSQL at scale). Intake
writes to it and answers its source only after the row is committed; workers claim from it. The
rules it keeps, so that handlers only have to be idempotent by event id:

- **Duplicates are absorbed**: the primary key is the event's stable id; a second insert is a no-op.
- **Per-subject event-time order**: an event is claimable only when no earlier event (by
  ``occurred_at``, then id) of the same ``subject_key`` is still unfinished (not done or dead).
  An event that arrives *after* a later one for its subject was already applied is still
  processed; handlers re-read the systems of record, so a late add after a drop is a defined case.
- **Leases**: a claim marks rows ``processing`` for ``claimed_by`` until ``lease_until``; a worker
  that dies leaves rows that become claimable again when the lease runs out.
- **Retries**: a failure schedules the next attempt with exponential backoff; after
  ``max_attempts`` the row is ``dead`` with the reason, and stays until someone replays it.
- **Malformed input is kept**: as a ``dead`` row with the raw body and the reason, replayable
  through a re-parser once the parser or the configuration is fixed.

Concurrency: claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
workers share the table; on SQLite every write transaction starts with ``BEGIN IMMEDIATE``, the
database-wide write lock, which is enough for the embedded default's handful of threads.
"""

from runtime.inbox.records import InboxRecord, Reparser, malformed_id
from runtime.inbox.states import (
    STATUSES,
    UNFINISHED,
    Action,
    InvalidTransition,
    RetryPolicy,
    Status,
    transition,
)
from runtime.inbox.store import Inbox
from runtime.inbox.table import inbox_events, metadata

__all__ = [
    "STATUSES",
    "UNFINISHED",
    "Action",
    "Inbox",
    "InboxRecord",
    "InvalidTransition",
    "Reparser",
    "RetryPolicy",
    "Status",
    "inbox_events",
    "malformed_id",
    "metadata",
    "transition",
]
