"""The approval queue as the API sees it, and the desk that decides who may answer what.

:class:`ApprovalQueue` is the small surface the API needs from the paused graphs: list the
outstanding requests (all, or those one person may decide) and resume one that was answered.
:class:`GraphApprovalQueue` implements it with :mod:`agents.approvals` over a compiled graph
and its checkpointer (a request of a grade batch is resumed alone, by its interrupt id). It
reads only the threads its ``paused`` index names (the run ledger's ``paused_runs`` in a
deployment), so listing costs what is waiting, not what was ever processed.

:class:`ApprovalDesk` holds the rules around it, shared by the JSON API and the dashboard:
a caller sees only the requests they may decide (``refusal_of_approver``, the rule the guard
applies on resume, so the list never offers a button the guard would refuse); an answer from
anyone else is refused **and audited**; a malformed or expired answer is refused without
touching the graph, which stays paused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from agents.approvals import (
    PendingApproval,
    all_threads,
    decide,
    decided_by,
    outstanding,
    pending_approvals,
)
from core.clock import utcnow
from core.errors import BcaError, NotFoundError
from policies.approvals import ApprovalRequest
from policies.audit import AuditEvent, AuditLog
from policies.rbac import Principal
from policies.scope import Directory

ResponseType = Literal["approve", "edit", "reject", "comment"]


class OutOfScope(BcaError):
    """The caller may not decide this request (HTTP 403); the refusal is audited."""


class RequestExpired(BcaError):
    """The request outlived its time to live; answering it would run nothing (HTTP 409)."""


class ApprovalQueue(Protocol):
    """Outstanding approval requests of the paused graphs, and a way to answer one."""

    def pending(self, approver: Principal | None = None) -> list[PendingApproval]:
        """Every outstanding request, or only those ``approver`` may decide; oldest first."""
        ...

    def resume(self, pending: PendingApproval, answer: dict[str, Any]) -> None:
        """Resume the thread paused on ``pending`` with one answer (checked again first)."""
        ...


@dataclass
class GraphApprovalQueue:
    """:class:`ApprovalQueue` over a compiled graph and its checkpointer.

    ``context_for`` builds the run context the graph's guard needs on resume (the agent's
    principal, the directory, the redactor and vault); None for graphs that take none.
    ``paused`` names the threads that may be waiting (an index such as
    :meth:`runtime.ledger.RunLedger.paused_threads`); what each waits for is still read from
    its checkpoint. None walks every thread of the checkpointer on each listing, which is only
    fit for a store that keeps few threads (a test's graph).
    """

    graph: Any
    checkpointer: Any
    directory: Directory
    context_for: Callable[[ApprovalRequest], Any] | None = None
    paused: Callable[[], Iterable[str]] | None = None

    def threads(self) -> list[str]:
        """The threads to look at for outstanding requests."""
        if self.paused is None:
            return all_threads(self.checkpointer)
        return list(self.paused())

    def pending(self, approver: Principal | None = None) -> list[PendingApproval]:
        """Outstanding requests, oldest first; scoped to ``approver`` when given."""
        threads = self.threads()
        if approver is not None:
            found = pending_approvals(
                self.checkpointer, self.graph, approver, self.directory, threads=threads
            )
        else:
            found = [p for thread in threads for p in outstanding(self.graph, thread)]
        return sorted(found, key=lambda p: (p.request.created_at, p.request.id))

    def resume(self, pending: PendingApproval, answer: dict[str, Any]) -> None:
        """Answer one interrupt by id; parallel ones of the same thread keep waiting."""
        decide(
            self.graph,
            pending.thread_id,
            {pending.interrupt_id: answer},
            directory=self.directory,
            context=self.context_for(pending.request) if self.context_for else None,
        )


@dataclass
class ApprovalDesk:
    """Scope-filtered listing and audited decisions over an :class:`ApprovalQueue`."""

    queue: ApprovalQueue
    audit: AuditLog
    clock: Callable[[], datetime] = field(default=utcnow)

    def for_caller(self, principal: Principal) -> list[ApprovalRequest]:
        """The outstanding requests ``principal`` may decide."""
        return [p.request for p in self.queue.pending(principal)]

    def count(self) -> int:
        """How many requests are outstanding in all (for the metrics)."""
        return len(self.queue.pending())

    def _find(self, request_id: str, approver: Principal | None = None) -> PendingApproval | None:
        return next((p for p in self.queue.pending(approver) if p.request.id == request_id), None)

    def _mine(self, principal: Principal, request_id: str) -> PendingApproval:
        """The caller's pending request, else 404 (nothing waits) or 403 (not theirs)."""
        found = self._find(request_id, principal)
        if found is not None:
            return found
        other = self._find(request_id)
        if other is None:
            raise NotFoundError("pending approval", id=request_id)
        raise OutOfScope(
            f"only the request's approver ({other.request.approver.value.replace('_', ' ')}) "
            "may decide it"
        )

    def visible(self, principal: Principal, request_id: str) -> ApprovalRequest:
        """A request the caller may decide; :class:`OutOfScope` (a look, not audited) if not."""
        return self._mine(principal, request_id).request

    def expired(self, request: ApprovalRequest) -> bool:
        """Whether the request can no longer be answered."""
        return self.clock() > request.expires_at

    def decide(
        self,
        principal: Principal,
        request_id: str,
        response: ResponseType,
        *,
        args: dict[str, Any] | None = None,
        comment: str | None = None,
    ) -> None:
        """Check, audit and hand one answer to the paused graph.

        Order matters: scope first (a refusal is audited and reveals nothing else), then the
        answer's shape and expiry, which leave the graph paused and untouched.
        """
        try:
            pending = self._mine(principal, request_id)
        except OutOfScope as refusal:
            other = self._find(request_id)
            assert other is not None  # _mine raised OutOfScope, so the request exists
            self._record(principal, other.request, response, "deny", f"approval refused: {refusal}")
            raise
        request = pending.request
        if self.expired(request):
            raise RequestExpired(f"request {request.id} expired at {request.expires_at}")
        answer: dict[str, Any] = {
            "type": response,
            "request_id": request.id,
            "by": decided_by(principal).model_dump(mode="json"),
        }
        match response:
            case "edit":
                answer["args"] = args
            case "reject":
                answer["reason"] = comment or ""
            case "comment":
                answer["text"] = comment
        self.queue.resume(pending, answer)
        edited = sorted(
            k for k, v in (args or {}).items() if request.action_request.args.get(k) != v
        )
        detail = f"{response} handed to the agent" + (
            f"; edited {', '.join(edited)}" if edited else ""
        )
        self._record(principal, request, response, "allow", detail)

    def _record(
        self,
        principal: Principal,
        request: ApprovalRequest,
        response: str,
        decision: Literal["allow", "deny"],
        outcome: str,
    ) -> None:
        """Audit an answer: who, which request, what they answered (values stay out)."""
        self.audit.append(
            AuditEvent(
                actor=principal.actor,
                role=principal.role.value,
                tool=request.action_request.action,
                arguments={"response": response, "approval": request.id},
                decision=decision,
                outcome=outcome,
                thread_id=request.thread_id,
                approval_id=request.id,
            )
        )
