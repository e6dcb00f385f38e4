"""The append-only, hash-chained audit trail of every tool call an agent attempts.

Each row of ``audit_events`` carries the SHA-256 of a canonical serialisation of its own fields
and of the previous row's hash, so changing, removing or inserting a row breaks the chain at
that row. A one-row ``audit_head`` table holds the sequence number and hash of the last row: it
is the lock that serialises appends (two writers can never chain onto the same predecessor) and
it lets :func:`verify` notice rows cut off the end. Someone who can rewrite both tables can still
forge a consistent history; :attr:`VerifyReport.head_hash` is what to anchor outside the
database to close that gap.

Arguments and reasoning must arrive already redacted: this module stores what it is given.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow

Decision = Literal["allow", "deny", "needs-approval", "shadow"]

GENESIS_HASH = "0" * 64

metadata = MetaData()

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    # ISO-8601 text rather than a timestamp type: the hashed value must read back byte for byte
    # on every dialect, and SQLite and PostgreSQL round-trip time zones differently.
    Column("time", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("on_behalf_of", String(200)),
    Column("tool", String(120), nullable=False),
    Column("arguments", Text, nullable=False),  # canonical JSON of the redacted arguments
    Column("decision", String(20), nullable=False),
    Column("outcome", Text, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("thread_id", String(200)),
    Column("approval_id", String(64), index=True),  # the guard looks requests up on each resume
    Column("reasoning", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

_HASHED_FIELDS = (
    "seq",
    "time",
    "actor",
    "role",
    "on_behalf_of",
    "tool",
    "arguments",
    "decision",
    "outcome",
    "latency_ms",
    "thread_id",
    "approval_id",
    "reasoning",
    "prev_hash",
)


def canonical_json(value: Any) -> str:
    """One spelling per value (sorted keys, no spaces), so equal data hashes equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def row_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the canonical serialisation of a row's fields, ``prev_hash`` included."""
    payload = canonical_json({name: row[name] for name in _HASHED_FIELDS})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEvent:
    """What happened at one decision point of the guard (already redacted)."""

    actor: str
    role: str
    tool: str
    arguments: dict[str, Any]
    decision: Decision
    outcome: str
    latency_ms: float = 0.0
    on_behalf_of: str | None = None
    thread_id: str | None = None
    approval_id: str | None = None
    reasoning: str | None = None


class StoredEvent(BaseModel):
    """An event as it sits in the chain; also the audit API's and CLI's record shape."""

    model_config = ConfigDict(frozen=True)

    seq: int
    time: str
    actor: str
    role: str
    on_behalf_of: str | None
    tool: str
    arguments: dict[str, Any]
    decision: str
    outcome: str
    latency_ms: float
    thread_id: str | None
    approval_id: str | None
    reasoning: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyReport:
    """Result of walking the chain: ``broken`` names the first bad record, if any."""

    rows: int
    head_hash: str
    broken: str | None

    @property
    def ok(self) -> bool:
        """True when every row and the head agree."""
        return self.broken is None


def _now_text() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TAKE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(seq=audit_head.c.seq)
    .returning(audit_head.c.seq, audit_head.c.hash)
)
"""Writing the head row to itself: takes the write lock, then reads the head (see append)."""
_INSERT_EVENT = insert(audit_events)
_MOVE_HEAD = (
    update(audit_head)
    .where(audit_head.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
# Built once: every tool call appends, and building statements cost more than running them.


class AuditLog:
    """Appends events to, reads and verifies the chain in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Threads of one process queue here instead of contending for the database lock.
        self._lock = threading.Lock()

    def create(self) -> None:
        """Create the tables and the head row if they are missing (idempotent)."""
        metadata.create_all(self.engine)
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(audit_head.c.id)).first() is None:
                    conn.execute(insert(audit_head).values(id=1, seq=0, hash=GENESIS_HASH))
        except IntegrityError:
            pass  # another process created the head row first, which is all we wanted.

    def append(self, event: AuditEvent) -> StoredEvent:
        """Chain ``event`` after the current head, atomically with moving the head."""
        with self._lock, self.engine.begin() as conn:
            # Writing the head row first takes the write lock (a row lock on PostgreSQL, the
            # database's RESERVED lock on SQLite) before the head is read, so concurrent
            # appenders queue instead of forking the chain.
            head = conn.execute(_TAKE_HEAD).one()
            row: dict[str, Any] = {
                "seq": head.seq + 1,
                "time": _now_text(),
                "actor": event.actor,
                "role": event.role,
                "on_behalf_of": event.on_behalf_of,
                "tool": event.tool,
                "arguments": canonical_json(event.arguments),
                "decision": event.decision,
                "outcome": event.outcome,
                "latency_ms": round(float(event.latency_ms), 3),
                "thread_id": event.thread_id,
                "approval_id": event.approval_id,
                "reasoning": event.reasoning,
                "prev_hash": head.hash,
            }
            row["hash"] = row_hash(row)
            conn.execute(_INSERT_EVENT, row)
            conn.execute(_MOVE_HEAD, {"new_seq": row["seq"], "new_hash": row["hash"]})
        return _stored(row)

    def tail(self, limit: int = 20) -> list[StoredEvent]:
        """The last ``limit`` events, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(audit_events).order_by(audit_events.c.seq.desc()).limit(limit)
            ).mappings()
            return [_stored(dict(r)) for r in reversed(list(rows))]

    def find_approval_request(self, approval_id: str) -> StoredEvent | None:
        """The needs-approval event that opened request ``approval_id``, if it was recorded."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(audit_events)
                    .where(audit_events.c.approval_id == approval_id)
                    .where(audit_events.c.decision == "needs-approval")
                    .order_by(audit_events.c.seq)
                    .limit(1)
                )
                .mappings()
                .first()
            )
        return _stored(dict(row)) if row is not None else None

    def iter_events(self) -> Iterator[StoredEvent]:
        """Every event in chain order."""
        with self.engine.connect() as conn:
            for r in conn.execute(select(audit_events).order_by(audit_events.c.seq)).mappings():
                yield _stored(dict(r))

    def verify(self) -> VerifyReport:
        """Walk the chain; name the first row that was changed, removed or inserted."""
        prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
        if not inspect(self.engine).has_table("audit_events"):
            return VerifyReport(0, prev_hash, "no audit_events table in this database")
        with self.engine.connect() as conn:
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).all()
            for r in conn.execute(select(audit_events).order_by(audit_events.c.seq)).mappings():
                row = dict(r)
                count += 1
                seq = row["seq"]
                problem = None
                if seq != expected_seq:
                    problem = (
                        f"sequence gap: expected seq={expected_seq}, found seq={seq} "
                        f"(rows removed or inserted before it)"
                    )
                elif row["prev_hash"] != prev_hash:
                    problem = (
                        "prev_hash does not match the previous row's hash "
                        "(a row was removed or inserted before it)"
                    )
                elif row_hash(row) != row["hash"]:
                    problem = "hash does not match the row's contents (the row was changed)"
                if problem:
                    return VerifyReport(count, prev_hash, f"audit_events seq={seq}: {problem}")
                prev_hash, expected_seq = row["hash"], seq + 1
        if len(head) != 1:
            return VerifyReport(count, prev_hash, f"audit_head has {len(head)} rows, expected 1")
        if (head[0].seq, head[0].hash) != (expected_seq - 1, prev_hash):
            return VerifyReport(
                count,
                prev_hash,
                f"audit_head records seq={head[0].seq} but the chain ends at "
                f"seq={expected_seq - 1} (rows removed or inserted at the end)",
            )
        return VerifyReport(count, prev_hash, None)


def _stored(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        seq=row["seq"],
        time=row["time"],
        actor=row["actor"],
        role=row["role"],
        on_behalf_of=row["on_behalf_of"],
        tool=row["tool"],
        arguments=json.loads(row["arguments"]),
        decision=row["decision"],
        outcome=row["outcome"],
        latency_ms=row["latency_ms"],
        thread_id=row["thread_id"],
        approval_id=row["approval_id"],
        reasoning=row["reasoning"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
