"""Help-desk cases: what a hand-off opens, a person answers, and closing the conversation ends.

A case is referenced as ``HD-000123`` (its row number, zero-padded) so a student can quote it
on the phone; the number is the database's, so two processes never hand out the same one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, insert, select, update

from agents.support.models import Handoff
from core.clock import utcnow
from core.errors import NotFoundError
from runtime.chat.tables import support_cases
from runtime.inbox import InvalidTransition

CaseStatus = Literal["open", "answered", "closed"]


class Case(BaseModel):
    """One hand-off as the help desk sees it."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    conversation_id: str
    student_pidm: int
    reason: str
    detail: str
    status: CaseStatus
    opened_at: datetime
    answered_by: str | None = None
    answer: str | None = None
    answered_at: datetime | None = None


def case_reference(number: int) -> str:
    """``HD-000123`` for row 123."""
    return f"HD-{number:06d}"


_COLUMNS = [c for c in support_cases.c if c.name != "id"]


class CaseDesk:
    """Opens, lists, answers and closes cases in ``support_cases``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open(self, conversation_id: str, student_pidm: int, handoff: Handoff) -> Case:
        """A new open case for ``handoff``; its reference comes from the row's number."""
        t = support_cases
        now = utcnow()
        with self.engine.begin() as conn:
            number: int = conn.execute(
                insert(t)
                .values(
                    conversation_id=conversation_id,
                    student_pidm=student_pidm,
                    reason=handoff.reason,
                    detail=handoff.detail,
                    status="open",
                    opened_at=now,
                )
                .returning(t.c.id)
            ).scalar_one()
            reference = case_reference(int(number))
            conn.execute(update(t).where(t.c.id == number).values(case_id=reference))
        return self.get(reference)

    def get(self, case_id: str) -> Case:
        """One case by reference."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_COLUMNS).where(support_cases.c.case_id == case_id)).first()
        if row is None:
            raise NotFoundError("case", case_id=case_id)
        return Case.model_validate(row._asdict())

    def listed(self, statuses: tuple[CaseStatus, ...] = ("open",), limit: int = 200) -> list[Case]:
        """Cases of ``statuses``, oldest first (the order a help desk works them)."""
        t = support_cases
        query = (
            select(*_COLUMNS)
            .where(t.c.status.in_(statuses), t.c.case_id.is_not(None))
            .order_by(t.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Case.model_validate(row._asdict()) for row in conn.execute(query)]

    def of_conversation(self, conversation_id: str) -> list[Case]:
        """The conversation's cases, oldest first."""
        t = support_cases
        query = select(*_COLUMNS).where(t.c.conversation_id == conversation_id).order_by(t.c.id)
        with self.engine.connect() as conn:
            return [Case.model_validate(row._asdict()) for row in conn.execute(query)]

    def answer(self, case_id: str, staff_actor: str, text: str) -> Case:
        """Record a person's (redacted) answer; only an open case can be answered."""
        t = support_cases
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(t)
                .where(t.c.case_id == case_id, t.c.status == "open")
                .values(
                    status="answered", answered_by=staff_actor, answer=text, answered_at=utcnow()
                )
            ).rowcount
        if not changed:
            found = self.get(case_id)  # not found, or not open any more
            raise InvalidTransition(f"case {case_id} is {found.status}, not open: it has an answer")
        return self.get(case_id)

    def close_conversation(self, conversation_id: str) -> int:
        """Close every case of a conversation the student ended; how many were still open."""
        t = support_cases
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(t)
                    .where(t.c.conversation_id == conversation_id, t.c.status != "closed")
                    .values(status="closed")
                ).rowcount
            )
