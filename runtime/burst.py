"""Term-start burst mode: one section's registration events claimed together run as one.

At term start thousands of students register within minutes, tens per section. One run per
event plans and applies one student at a time: several Canvas requests each (the course's
sections and the student's enrollments read, then the write). Coalesced, the section's course is
read once and the students' changes go out in one apply, by REST or a SIS import as
:func:`agents.rules.roster_verdicts.choose_channel` decides for the plan's size.

Where: at the claim, in both workers (the embedded :class:`runtime.worker.InProcessWorker` and
the RabbitMQ dispatcher, :mod:`runtime.bus`, which publishes a group as one message). Records of
registration kinds whose (term, CRN) and specialist agree (``added``/``waitlisted`` are the
roster's, ``dropped``/``withdrawn`` the withdrawals'; grades and everything else stay alone)
form a group. The inbox's per-subject order (one student in one section) already keeps two
events of one student out of one claim. :func:`burst_wait` lets a burst accumulate: a claim
holding a registration younger than ``BCA_BURST_WINDOW`` seconds waits out the rest of that
window and claims once more; under a backlog events are older than that and nothing waits.

How: a group becomes one :class:`agents.events.RegistrationBurst` (or ``WithdrawalBurst``) run
through the router, the guard and the audited ``canvas_apply_roster_plan`` with ``pidms``: the
plan touches exactly those students, never the rest of the section. Its id is derived from the
members' ids, so the same group claimed again finds its run. Audit: each member still gets its
own ledger row (naming the group run) and its own inbox status. A group whose run does not get
through (raises, dead letter, refusal) falls back to handling each event alone, as before this
mode: nothing is lost, and an event is marked done only after a run that covered it. A lone
event, and any event when the handler cannot run groups, is handled exactly as without it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from agents.events import RegistrationBurst, WithdrawalBurst, _RegistrationEvent
from core.clock import utcnow
from core.errors import ValidationFailed
from runtime.inbox import Inbox, InboxRecord
from runtime.logs import event_scope

log = logging.getLogger(__name__)

Burst = RegistrationBurst | WithdrawalBurst
"""The events a group runs as."""

BURSTS: dict[str, type[Burst]] = {
    "banner.registration.added": RegistrationBurst,
    "banner.registration.waitlisted": RegistrationBurst,
    "banner.registration.dropped": WithdrawalBurst,
    "banner.registration.withdrawn": WithdrawalBurst,
}
"""The registration kinds that coalesce, and the burst (hence specialist) each joins."""


@runtime_checkable
class GroupHandler(Protocol):
    """A handler (:class:`runtime.worker.Handler`) that can also run a burst as one."""

    def handle_group(self, burst: Burst, members: Sequence[_RegistrationEvent]) -> bool:
        """Run ``burst`` and record each member; False: not done, handle each member alone."""
        ...


@dataclass(frozen=True)
class Group:
    """Claimed records of one section and one burst kind, and the burst event they make."""

    burst: Burst
    records: tuple[InboxRecord, ...]
    events: tuple[_RegistrationEvent, ...]


def _key(record: InboxRecord) -> tuple[str, str, type[Burst]] | None:
    """The group a record can join, read from its row (no parse); None: it stays alone."""
    burst = BURSTS.get(record.kind or "")
    payload = record.payload or {}
    if burst is None or "term_code" not in payload or "crn" not in payload:
        return None
    return str(payload["term_code"]), str(payload["crn"]), burst


def burst_id(member_ids: Sequence[str]) -> str:
    """The burst's event id: the same members give the same id (and so the same run)."""
    digest = hashlib.sha256("\n".join(sorted(member_ids)).encode()).hexdigest()[:24]
    return f"burst:{digest}"


def _group(records: Sequence[InboxRecord], burst: type[Burst]) -> Group | None:
    events: list[_RegistrationEvent] = []
    for record in records:
        try:
            event = record.event()
        except ValidationFailed:
            return None  # process() buries the malformed one; the rest run alone
        assert isinstance(event, _RegistrationEvent)
        events.append(event)
    first = events[0]
    made = burst(
        event_id=burst_id([e.event_id for e in events]),
        occurred_at=max(e.occurred_at for e in events),
        term_code=first.term_code,
        crn=first.crn,
        pidms=sorted({e.pidm for e in events}),
        members=[e.event_id for e in events],
    )
    return Group(made, tuple(records), tuple(events))


def partition(records: Sequence[InboxRecord]) -> tuple[list[Group], list[InboxRecord]]:
    """The groups of two or more records, and the records that stay alone (in claim order)."""
    keyed: dict[tuple[str, str, type[Burst]], list[InboxRecord]] = {}
    alone: list[InboxRecord] = []
    for record in records:
        key = _key(record)
        if key is None:
            alone.append(record)
        else:
            keyed.setdefault(key, []).append(record)
    groups: list[Group] = []
    for (_, _, burst), members in keyed.items():
        group = _group(members, burst) if len(members) > 1 else None
        if group is None:
            alone.extend(members)
        else:
            groups.append(group)
    alone.sort(key=lambda r: (r.occurred_at, r.event_id))
    return groups, alone


def burst_wait(records: Sequence[InboxRecord], window: float, now: datetime | None = None) -> float:
    """Seconds to wait before claiming again so that a burst can accumulate (0: do not).

    Only a claim holding a coalescible record younger than ``window`` waits, and only for the
    rest of that record's window: a backlog (old records) or a claim of other kinds never does.
    """
    if window <= 0:
        return 0.0
    now = now or utcnow()
    ages = [(now - r.received_at).total_seconds() for r in records if _key(r) is not None]
    return max(0.0, window - min(ages)) if ages else 0.0


def together(inbox: Inbox, group: Group, handler: GroupHandler) -> bool:
    """Run the group as one and mark its members done; False: it must fall back."""
    with event_scope(group.burst.event_id):
        try:
            handled = handler.handle_group(group.burst, group.events)
        except Exception:  # the members are handled alone instead, each with its own record
            log.exception("group run of %d events raised; handling each alone", len(group.events))
            return False
    if not handled:
        log.warning("group run %s did not get through; handling each alone", group.burst.event_id)
        return False
    for record in group.records:
        inbox.complete(record.event_id)
    return True


def message_groups(records: Sequence[InboxRecord]) -> list[list[InboxRecord]]:
    """How the bus dispatcher publishes a claim: a message per group, one per other record."""
    groups, alone = partition(records)
    return [list(group.records) for group in groups] + [[record] for record in alone]
