"""Which facts become operations notifications, derived in the runtime from what runs leave.

Agents and policies must not reach up into the runtime, so nothing is posted from inside a
graph: :func:`run_messages` reads a run's result (the event, the outcome's figures, the person
exceptions, the Banner section the provisioning run read, the approval requests it waits on)
when the pipeline records it, and :func:`dead_event_messages` reads the inbox's dead rows.
Each message is built from counts, term codes, CRNs and course labels only; nothing that names
or identifies a student (the exceptions' sentences and the requests' arguments are not copied).

Rules:

- ``section_provisioned``: a section's Canvas course was made (CRN, course, term, Banner's
  enrolled students, teachers enrolled, when);
- ``exceptions_raised``: a run left person exceptions for the LMS admin team (counts by kind,
  CRNs);
- ``mass_drop_held``: a run waits because a bulk change passed the mass-drop share (the guard
  only pauses an ``above_threshold`` grant when it did);
- ``grades_posted``: a grade batch was posted to Banner (posted, confirmed, edited, declined);
- ``dead_event``: an inbox event gave up (kind, source, attempts, the inbox's redacted reason).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from agents.approvals import PendingApproval
from agents.specialists.calls import results
from agents.state import Outcome, PersonException
from policies.rbac import Role
from runtime.inbox import inbox_events
from runtime.notify.models import Message, stable_id
from runtime.notify.outbox import Outbox

HeldByShare = Callable[[Role, str], bool]
"""Whether ``role``'s grant of a tool waits only above the mass-drop share (``above_threshold``)."""

READ_SECTION = "banner_get_section"
DEAD_CURSOR = "dead_events"


def _provisioned(
    thread: str, event: Mapping[str, Any], values: Mapping[str, Any], outcome: Outcome, at: datetime
) -> Iterator[Message]:
    if not str(event.get("kind", "")).startswith("banner.section.") or (
        "teachers_enrolled" not in outcome.figures
    ):
        return
    term, crn = str(event.get("term_code")), str(event.get("crn"))
    read = results(values.get("messages") or (), [f"{event.get('event_id')}:{READ_SECTION}"])
    section = next(iter(read.values())).data if read else None
    facts = [("CRN", crn), ("Term", term)]
    if isinstance(section, dict):
        label = f"{section['subject']} {section['course_number']}-{section['sequence']}"
        title = f" {section['title']}" if section.get("title") else ""
        facts += [("Course", label + title), ("Students", str(int(section["enrollment"])))]
    facts.append(("Instructors", str(outcome.figures["teachers_enrolled"])))
    status = "provisioned" if outcome.status == "done" else "provisioned, staff waiting"
    yield Message(
        id=stable_id("provisioned", thread),
        rule="section_provisioned",
        title=f"Section {term}/{crn} {status} in Canvas",
        facts=facts,
        at=at,
    )


def _exceptions(
    thread: str, exceptions: Sequence[PersonException], at: datetime
) -> Iterator[Message]:
    if not exceptions:
        return
    kinds = Counter(e.kind for e in exceptions)
    crns = sorted({f"{e.term}/{e.crn}" for e in exceptions if e.crn})
    facts = [(kind, str(n)) for kind, n in sorted(kinds.items())]
    if crns:
        facts.append(("Sections", ", ".join(crns[:20]) + (" ..." if len(crns) > 20 else "")))
    yield Message(
        id=stable_id("exceptions", thread),
        rule="exceptions_raised",
        title=f"{len(exceptions)} exception(s) for the LMS admin team",
        facts=facts,
        at=at,
    )


def _held(
    waiting: Sequence[PendingApproval], held_by_share: HeldByShare, at: datetime
) -> Iterator[Message]:
    for pending in waiting:
        request = pending.request
        action = request.action_request.action
        if not held_by_share(request.requested_by.role, action):
            continue
        term, crn = request.subject.get("term"), request.subject.get("crn")
        facts = [
            ("Action", action),
            ("Term", str(term or "")),
            ("Section", str(crn or "term-wide")),
            ("Approver", request.approver.value.replace("_", " ")),
        ]
        yield Message(
            id=stable_id("mass-drop", request.id),
            rule="mass_drop_held",
            title="Mass-drop guard tripped: a bulk change waits for a person",
            facts=facts,
            at=at,
        )


def _grades(
    thread: str, event: Mapping[str, Any], outcome: Outcome, at: datetime
) -> Iterator[Message]:
    figures = outcome.figures
    if figures.get("posted", 0) <= 0 or "confirmed" not in figures:
        return
    kinds = ("posted", "confirmed", "edited", "declined")
    counts = [(k.capitalize(), str(figures[k])) for k in kinds if k in figures]
    where = str(event.get("term_code") or event.get("course_id") or "")
    yield Message(
        id=stable_id("grades", thread),
        rule="grades_posted",
        title=f"Grade batch posted to Banner ({where})",
        facts=[("Term or course", where), *counts],
        at=at,
    )


def run_messages(
    thread: str,
    values: Mapping[str, Any],
    waiting: Sequence[PendingApproval],
    held_by_share: HeldByShare,
    at: datetime,
) -> list[Message]:
    """The notifications a run's recorded result gives (ids stable per thread or request)."""
    event = values.get("event") or {}
    found = list(_held(waiting, held_by_share, at))
    if values.get("outcome") and not waiting:
        outcome = Outcome.model_validate(values["outcome"])
        exceptions = [PersonException.model_validate(e) for e in values.get("exceptions") or ()]
        found += _provisioned(thread, event, values, outcome, at)
        found += _exceptions(thread, exceptions, at)
        found += _grades(thread, event, outcome, at)
    return found


def dead_event_messages(outbox: Outbox, now: datetime) -> list[Message]:
    """Messages for the inbox events that went dead since the last sweep; moves the cursor.

    The first sweep of a database only sets the cursor to ``now``.

    Read from the inbox table in the same database, so every way an event dies (retries used
    up, a handler's permanent failure, a malformed body, an abandoned lease) is covered.
    """
    e = inbox_events
    since = outbox.cursor(DEAD_CURSOR)
    if since is None:  # the first sweep starts here: older dead events are not news
        outbox.move_cursor(DEAD_CURSOR, now)
        return []
    query = select(e.c.event_id, e.c.kind, e.c.source, e.c.attempts, e.c.last_error,
                   e.c.updated_at).where(e.c.status == "dead")  # fmt: skip
    query = query.where(e.c.updated_at >= since)  # the cursor's own instant again: ids dedupe
    with outbox.engine.connect() as conn:
        rows = conn.execute(query.order_by(e.c.updated_at)).all()
    messages = [
        Message(
            id=stable_id("dead", row.event_id, row.updated_at.isoformat()),
            rule="dead_event",
            title=f"Dead event: {row.kind or 'unparsed'} from {row.source}",
            facts=[
                ("Kind", str(row.kind or "unparsed")),
                ("Source", str(row.source)),
                ("Attempts", str(row.attempts)),
                ("Reason", str(row.last_error or "")[:300]),
            ],
            at=row.updated_at,
        )
        for row in rows
    ]
    outbox.move_cursor(DEAD_CURSOR, rows[-1].updated_at if rows else since)
    return messages
