"""Resolving an account exception: re-run its section through the agents, settle it by the run.

Roster sync leaves a person without a Canvas account when Banner cannot give one (no GOBTPAC
login, a login another person has...) and raises an ``account_*`` exception with the Banner
record; the rest of the section syncs. Once someone fixed the record, they ask for the section
again: one ``scheduled.reconcile_term`` run limited to that CRN, applied, through the worker's
own handler (guard, policy, ledger), so the fix is made by the roster agent, never by the person
clicking. The exception is marked resolved only when that run raised nothing for the person any
more; otherwise it stays open and the caller shows the fresh reason. Either way the request is
in the audit trail under the person's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agents.events import Event, ReconcileTerm
from agents.run import EventRun, thread_id
from agents.state import PersonException
from core.clock import utcnow
from policies.audit import AuditEvent, AuditLog
from policies.rbac import Principal
from runtime.ledger import ExceptionRow, RunLedger

ACCOUNT_KINDS = "account_"
"""Kinds of the exceptions a section re-run can settle (``agents.rules.accounts.ProblemKind``
and the login Canvas refused): a person's account, fixed in Banner."""
RESOLVE = "resolve_account_exception"
"""The audit trail's name for a person asking for the re-run."""

AgentRunner = Callable[[Event], EventRun]
"""Runs one event through the agents and records it (:meth:`runtime.pipeline.AgentHandler.run`)."""


class NotReRunnable(ValueError):
    """The exception is not one a section re-run settles (no section, not about an account)."""


@dataclass(frozen=True)
class Rerun:
    """What the re-run of an exception's section found."""

    resolved: bool
    event_id: str
    outcome_detail: str
    fresh: PersonException | None = None
    """The person's exception in the new run, when it is still there (the reason to show)."""


def can_rerun(exception: ExceptionRow) -> bool:
    """Whether a section re-run can settle ``exception``: a person's account, one section."""
    return (
        exception.kind.startswith(ACCOUNT_KINDS)
        and bool(exception.term and exception.crn)
        and exception.pidm is not None
    )


def _resolve_person(ledger: RunLedger, exception: ExceptionRow, person: Principal) -> None:
    """Resolve every open account exception of the person in the section, this one included.

    Each run raises its own (a nightly reconciliation, a re-run that still failed), so the
    same problem may be listed more than once; the person syncing settles all of them.
    """
    assert exception.term is not None and exception.crn is not None and exception.pidm is not None
    for row in ledger.open_about(exception.term, exception.crn, exception.pidm):
        if row.kind.startswith(ACCOUNT_KINDS):
            ledger.resolve(row.thread_id, row.seq, person.actor)


def rerun_section(
    agents: AgentRunner,
    ledger: RunLedger,
    audit: AuditLog,
    exception: ExceptionRow,
    person: Principal,
) -> Rerun:
    """Re-run ``exception``'s section (applied) and resolve it if the person's problem is gone."""
    if not can_rerun(exception):
        raise NotReRunnable(f"a {exception.kind} exception is not settled by re-running a section")
    term, crn = str(exception.term), str(exception.crn)  # can_rerun: both there
    now = utcnow()
    event = ReconcileTerm(
        event_id=f"resolve-{term}-{crn}-{now:%Y%m%dT%H%M%S%f}",
        occurred_at=now,
        term_code=term,
        crns=[crn],
        apply=True,
    )
    run = agents(event)
    raised = (PersonException.model_validate(e) for e in run.values.get("exceptions") or ())
    fresh = next(
        (e for e in raised if e.pidm == exception.pidm and e.kind.startswith(ACCOUNT_KINDS)), None
    )
    resolved = run.finished and fresh is None
    if resolved:
        _resolve_person(ledger, exception, person)
        said = "resolved"
    elif fresh is not None:
        said = f"still open: {fresh.kind}"
    else:
        said = f"still open: the re-run has not finished ({run.outcome.status})"
    audit.append(
        AuditEvent(
            actor=person.actor,
            role=person.role.value,
            tool=RESOLVE,
            arguments={
                "exception": f"{exception.thread_id}#{exception.seq}",
                "kind": exception.kind,
                "term": exception.term,
                "crn": exception.crn,
                "pidm": exception.pidm,
            },
            decision="allow",
            outcome=f"{said}; section re-run: {run.outcome.status}",
            thread_id=thread_id(event.event_id),
        )
    )
    return Rerun(resolved, event.event_id, run.outcome.detail, fresh)
