"""Approvals as interrupts: what waits for whom, and answering it without breaking the graph.

Every pause in every graph carries one schema, :class:`policies.approvals.ApprovalRequest`:
the guard's (a tool call that needs a person) and a graph's own questions (the incomplete
workflow asking an instructor) alike. This module is what the approvals API and the CLI use:

- :func:`outstanding` / :func:`requests_in` / :func:`requests_of` read what a thread waits on:
  outstanding is derived from the snapshot's ``tasks`` (skipping tasks that already have a
  result, since ``StateSnapshot.interrupts`` is not pruned after a partial resume) or from a
  run's ``__interrupt__``; the runtime indexes those requests when a run pauses, and lists
  from that index (:mod:`runtime.approval_index`), not from checkpoints;
- :func:`pending_approvals` lists, from the checkpointer, the requests still outstanding on
  the given threads (or every thread, which grows with every run ever made) that the given
  person may decide, by :func:`refusal_for`: :func:`policies.approvals.refusal_of_approver`,
  the same rule the guard applies on resume (for a graph's tests; a deployment has the index);
- :func:`decide` validates answers **before** ``Command(resume=...)``: a malformed answer, one
  for a request that is not pending, a response the request does not allow, edited arguments
  that do not fit the action, or a person who may not decide raises
  :class:`~core.errors.ValidationFailed` and the graph stays paused, untouched. Several
  answers (a grade batch) resume together, keyed by interrupt id; unanswered requests of the
  same thread stay pending.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.pregel import Pregel
from langgraph.types import Command, Durability, StateSnapshot
from pydantic import BaseModel, ConfigDict, ValidationError

from agents.checkpoints import APPROVAL_DURABILITY
from agents.toolbox import SPECS
from core.clock import utcnow
from core.errors import ValidationFailed
from policies.approvals import ApprovalRequest, DecidedBy, Edit, parse_decision, refusal_of_approver
from policies.rbac import Principal
from policies.scope import Directory, Subject

_ARGS = {spec.traits.name: spec.args for spec in SPECS}


class PendingApproval(BaseModel):
    """One outstanding request, where it waits, and how to answer it."""

    model_config = ConfigDict(frozen=True)

    thread_id: str
    interrupt_id: str
    request: ApprovalRequest

    def expired(self, now: datetime | None = None) -> bool:
        """Past its expiry: answering it now is refused."""
        return (now or utcnow()) > self.request.expires_at


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _walk(snapshot: StateSnapshot) -> Iterator[tuple[str, Any]]:
    """Interrupts of tasks without a result, descending into subgraphs (the router's)."""
    for task in snapshot.tasks:
        if task.result is not None:
            continue
        for pending in task.interrupts:
            yield pending.id, pending.value
        if isinstance(task.state, StateSnapshot):
            yield from _walk(task.state)


def state_of(graph: Pregel[Any, Any, Any, Any], thread_id: str) -> StateSnapshot:
    """A thread's snapshot with its subgraphs' (where the router's specialists pause)."""
    return graph.get_state(_config(thread_id), subgraphs=True)


def outstanding(graph: Pregel[Any, Any, Any, Any], thread_id: str) -> list[PendingApproval]:
    """The approval requests a thread is paused on, in task order, each once."""
    return requests_in(state_of(graph, thread_id), thread_id)


def requests_in(snapshot: StateSnapshot, thread_id: str) -> list[PendingApproval]:
    """:func:`outstanding` of a snapshot read with ``subgraphs=True``."""
    return requests_of(_walk(snapshot), thread_id)


def requests_of(interrupts: Iterable[tuple[str, Any]], thread_id: str) -> list[PendingApproval]:
    """The approval requests among (interrupt id, value) pairs, each once, in order.

    The pairs come from a snapshot's tasks, or from a run's ``__interrupt__`` as ``invoke``
    returns it (the index of waiting requests is written from that, without a state read).
    """
    found: dict[str, PendingApproval] = {}
    for interrupt_id, value in interrupts:
        if interrupt_id in found:
            continue
        try:
            request = ApprovalRequest.model_validate(value)
        except ValidationError:
            continue  # not an approval (another kind of pause)
        found[interrupt_id] = PendingApproval(
            thread_id=thread_id, interrupt_id=interrupt_id, request=request
        )
    return list(found.values())


def all_threads(checkpointer: BaseCheckpointSaver[Any]) -> list[str]:
    """Every thread of ``checkpointer``: reads every checkpoint, so only for a one-time walk."""
    seen: dict[str, None] = {}
    for item in checkpointer.list(None):
        seen.setdefault(str(item.config["configurable"]["thread_id"]), None)
    return list(seen)


def refusal_for(request: ApprovalRequest, by: DecidedBy, directory: Directory) -> str | None:
    """:func:`~policies.approvals.refusal_of_approver` of a request as its payload states it."""
    subject = request.subject
    student = subject.get("student")
    return refusal_of_approver(
        request.approver,
        by,
        request.requested_by,
        Subject(
            student=int(student) if student is not None else None,
            term=str(subject["term"]) if subject.get("term") is not None else None,
            crn=str(subject["crn"]) if subject.get("crn") is not None else None,
            department=str(subject["department"]) if subject.get("department") else None,
        ),
        directory,
    )


def decided_by(principal: Principal) -> DecidedBy:
    """The answering person as the decision records them."""
    return DecidedBy(
        actor=principal.actor,
        role=principal.role,
        pidm=principal.pidm,
        department=principal.department,
    )


def pending_approvals(
    checkpointer: BaseCheckpointSaver[Any],
    graph: Pregel[Any, Any, Any, Any],
    approver: Principal,
    directory: Directory,
    *,
    threads: Iterable[str] | None = None,
) -> list[PendingApproval]:
    """Every outstanding request on ``threads`` that ``approver`` may decide.

    ``graph`` is the compiled graph whose threads these are; it reads through ``checkpointer``.
    ``threads`` are those that may be paused (an index); None walks every thread of
    ``checkpointer`` (fine for a test's graph, not for a store that keeps every run).
    """
    if graph.checkpointer is not checkpointer:
        graph = graph.copy(update={"checkpointer": checkpointer})
    by = decided_by(approver)
    return [
        pending
        for thread_id in (all_threads(checkpointer) if threads is None else threads)
        for pending in outstanding(graph, thread_id)
        if refusal_for(pending.request, by, directory) is None
    ]


def _checked(pending: PendingApproval, value: Any, directory: Directory) -> dict[str, Any]:
    """The answer as a resume value, or why it cannot be one (the graph is not touched)."""
    decision = parse_decision(value)
    request = pending.request
    if decision.request_id != request.id:
        raise ValidationFailed(
            f"the answer names request {decision.request_id}, but interrupt "
            f"{pending.interrupt_id} waits for request {request.id}"
        )
    if decision.type not in request.allowed_responses:
        raise ValidationFailed(
            f"request {request.id} allows {', '.join(request.allowed_responses)}, "
            f"not {decision.type}"
        )
    if isinstance(decision, Edit):
        schema = _ARGS.get(request.action_request.action)
        if schema is None:
            raise ValidationFailed(f"action {request.action_request.action} cannot be edited")
        try:
            schema.model_validate(decision.args)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'args'}: {e['msg']}" for e in exc.errors()
            )
            raise ValidationFailed(f"edited arguments do not fit the action: {problems}") from None
    refusal = refusal_for(request, decision.by, directory)
    if refusal:
        raise ValidationFailed(
            f"{decision.by.actor} may not decide request {request.id}: {refusal}"
        )
    return decision.model_dump(mode="json")


def decide(
    graph: Pregel[Any, Any, Any, Any],
    thread_id: str,
    decisions: Mapping[str, Any],
    *,
    directory: Directory,
    context: Any,
) -> dict[str, Any]:
    """Answer some or all of a thread's pending requests, then resume it once.

    ``decisions`` maps an interrupt id (or a request id) to an answer
    ``{type, request_id, by, ...}``. Every answer is checked first; any problem raises
    :class:`ValidationFailed` naming it, and nothing is resumed. Returns the run's result.
    """
    if not decisions:
        raise ValidationFailed("no decision given")
    pending = outstanding(graph, thread_id)
    by_key = {p.interrupt_id: p for p in pending} | {p.request.id: p for p in pending}
    resume: dict[str, Any] = {}
    for key, value in decisions.items():
        match = by_key.get(key)
        if match is None:
            raise ValidationFailed(f"nothing on thread {thread_id} waits for {key}")
        resume[match.interrupt_id] = _checked(match, value, directory)
    result: dict[str, Any] = graph.invoke(
        Command(resume=resume),
        _config(thread_id),
        context=context,
        durability=cast(Durability, APPROVAL_DURABILITY),
    )
    return result


def answer_all(
    pending: list[PendingApproval], kind: str, by: Principal, **extra: Any
) -> dict[str, dict[str, Any]]:
    """One identical answer (approve, reject...) for each of a batch, keyed by interrupt id."""
    who = decided_by(by).model_dump(mode="json")
    return {
        p.interrupt_id: {"type": kind, "request_id": p.request.id, "by": who, **extra}
        for p in pending
    }
