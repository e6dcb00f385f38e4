"""The waiting approval requests as one query: what a person may decide, oldest first, by pages.

:class:`ApprovalIndex` reads the run ledger's ``pending_approvals`` (written when a run pauses,
removed when its request is decided or the run ends: :class:`runtime.ledger.RunLedger`). A
person's authority becomes a WHERE clause from :func:`policies.approvals.reach_of`: the kind of
request their role decides, and per term the students they advise or the sections they are
instructor of record of (read from Banner once per term, not once per request); separation of
duties excludes what they asked for or what is about them. No checkpoint is read to list.

Pages are keyed, not counted: a :class:`PageKey` (the last row's ``created_at`` and request id)
is the cursor, so a client walking all pages sees each request once even while requests are
added or decided between pages. The caller still judges every listed request with
:func:`policies.approvals.refusal_of_approver` (the SQL is a narrowing, the rule is the rule),
so a page may hold fewer than ``limit`` requests and still have a next one.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import ColumnElement, Engine, and_, delete, false, func, or_, select

from agents.approvals import PendingApproval
from core.errors import ValidationFailed
from policies.approvals import ApprovalRequest, Approver, Reach
from runtime.ledger import pending_approvals

_T = pending_approvals
_LISTED = (_T.c.thread_id, _T.c.interrupt_id, _T.c.request)


class PageKey(BaseModel):
    """Where a page ended: the next page starts after this request (oldest first)."""

    model_config = ConfigDict(frozen=True)

    created_at: datetime
    id: str

    @classmethod
    def of(cls, pending: PendingApproval) -> PageKey:
        """The key of a listed request."""
        created_at, request_id = _key(pending)
        return cls(created_at=created_at, id=request_id)

    def encode(self) -> str:
        """The opaque ``cursor`` a client passes back."""
        return base64.urlsafe_b64encode(self.model_dump_json().encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> PageKey:
        """A cursor back to a key; one this API did not hand out is :class:`ValidationFailed`."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            return cls.model_validate_json(raw)
        except (binascii.Error, ValueError, ValidationError):
            raise ValidationFailed("cursor: not one this API handed out") from None

    def after(self) -> ColumnElement[bool]:
        """Rows that come after this key in listing order."""
        return and_(
            _T.c.created_at >= self.created_at,  # lets the order index bound the scan
            or_(
                _T.c.created_at > self.created_at,
                and_(_T.c.created_at == self.created_at, _T.c.request_id > self.id),
            ),
        )


@dataclass(frozen=True)
class Page:
    """One page of waiting requests and the key to the next, if there is more."""

    items: list[PendingApproval]
    next: PageKey | None

    @classmethod
    def cut(cls, ordered: Sequence[PendingApproval], limit: int) -> Page:
        """The first ``limit`` of ``ordered``; a next key if there was at least one more."""
        more = len(ordered) > limit
        return cls(list(ordered[:limit]), PageKey.of(ordered[limit - 1]) if more else None)


def page_of(found: Sequence[PendingApproval], limit: int, after: PageKey | None) -> Page:
    """The page of ``found`` (any order) after ``after``: the cut the index makes in SQL.

    For a queue without an index (a test's graph, whose every thread is read).
    """
    ordered = sorted(found, key=_key)
    if after is not None:
        ordered = [p for p in ordered if _key(p) > (after.created_at, after.id)]
    return Page.cut(ordered, limit)


def _key(pending: PendingApproval) -> tuple[datetime, str]:
    return pending.request.created_at, pending.request.id


def _within(reach: Reach) -> list[ColumnElement[bool]]:
    """The SQL form of ``reach``: the requests it may decide (a superset of the rule's verdict)."""
    by = reach.by
    where = [_T.c.approver == reach.approver.value, _T.c.requester_actor != by.actor]
    if by.pidm is not None:
        where += [
            or_(column.is_(None), column != by.pidm)
            for column in (_T.c.requester_pidm, _T.c.on_behalf_of, _T.c.student)
        ]
    if reach.subjects is not None:
        column = _T.c.student if reach.approver is Approver.STUDENT_ADVISOR else _T.c.crn
        terms = [
            and_(_T.c.term == term, column.in_(sorted(values, key=str)))
            for term, values in sorted(reach.subjects.items())
            if values
        ]
        where.append(or_(*terms) if terms else false())
    return where


class ApprovalIndex:
    """Queries over ``pending_approvals`` in the app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def terms(self, approver: Approver) -> list[str]:
        """The terms of waiting requests of this kind (what a reach must be read for)."""
        query = (
            select(_T.c.term)
            .where(_T.c.approver == approver.value, _T.c.term.is_not(None))
            .distinct()
        )
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    def page(self, reach: Reach | None, *, limit: int, after: PageKey | None = None) -> Page:
        """Up to ``limit`` requests within ``reach`` (None: every request), oldest first."""
        query = select(*_LISTED).where(*(_within(reach) if reach is not None else ()))
        if after is not None:
            query = query.where(after.after())
        query = query.order_by(_T.c.created_at, _T.c.request_id).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return Page.cut([_pending(row) for row in rows], limit)

    def about(self, student: int) -> list[PendingApproval]:
        """The requests about one student, oldest first (a staff profile lists them)."""
        query = (
            select(*_LISTED)
            .where(_T.c.student == student)
            .order_by(_T.c.created_at, _T.c.request_id)
        )
        with self.engine.connect() as conn:
            return [_pending(row) for row in conn.execute(query)]

    def get(self, request_id: str) -> PendingApproval | None:
        """The indexed request with this id, if any (a decision checks it against the thread)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_LISTED).where(_T.c.request_id == request_id)).first()
        return _pending(row) if row is not None else None

    def count(self) -> int:
        """How many requests are waiting in all."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_T)).scalar_one())

    def forget(self, request_id: str) -> None:
        """Drop a row its thread no longer waits on (found stale when someone answered it)."""
        with self.engine.begin() as conn:
            conn.execute(delete(_T).where(_T.c.request_id == request_id))


def _pending(row: Any) -> PendingApproval:
    return PendingApproval(
        thread_id=row.thread_id,
        interrupt_id=row.interrupt_id,
        request=ApprovalRequest.model_validate_json(row.request),
    )
