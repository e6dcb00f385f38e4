"""The approval queue as the API sees it, and the desk that decides who may answer what.

:class:`ApprovalQueue` is the small surface the API needs from the paused graphs: a page of
the outstanding requests one person may decide, one request by id, and resuming one that was
answered. :class:`GraphApprovalQueue` implements it with :mod:`agents.approvals` over a
compiled graph and its checkpointer (a request of a grade batch is resumed alone, by its
interrupt id). Listing reads the index of waiting requests
(:class:`runtime.approval_index.ApprovalIndex`, the run ledger's ``pending_approvals``) in one
query, never a checkpoint; finding one request to show or answer reads its thread's
checkpoint, which stays the truth.

:class:`ApprovalDesk` holds the rules around it, shared by the JSON API and the dashboard:
a caller sees only the requests they may decide (``refusal_of_approver``, the rule the guard
applies on resume, so the list never offers a button the guard would refuse); an answer from
anyone else is refused **and audited**; a malformed or expired answer is refused without
touching the graph, which stays paused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import ValidationError

from agents.approvals import (
    PendingApproval,
    all_threads,
    decide,
    decided_by,
    outstanding,
    refusal_for,
)
from agents.toolbox.catalogue import SPECS
from core.clock import utcnow
from core.errors import BcaError, NotFoundError, ValidationFailed
from policies.approvals import (
    ApprovalRequest,
    ReachDirectory,
    approver_of_role,
    reach_of,
    refusal_of_approver,
)
from policies.audit import AuditEvent, AuditLog
from policies.rbac import Principal
from policies.scope import ApproverDirectory, Directory, Subject
from runtime.approval_index import ApprovalIndex, Page, PageKey, page_of

TOOL_SPECS = {spec.traits.name: spec for spec in SPECS}

ResponseType = Literal["approve", "edit", "reject", "comment"]

DEFAULT_PAGE = 100
MAX_PAGE = 500
"""Requests per page of a listing: by default, and at most (``GET /api/approvals?limit=``)."""


class OutOfScope(BcaError):
    """The caller may not decide this request (HTTP 403); the refusal is audited."""


class RequestExpired(BcaError):
    """The request outlived its time to live; answering it would run nothing (HTTP 409)."""


class ApprovalQueue(Protocol):
    """Outstanding approval requests of the paused graphs, and a way to answer one."""

    def page(self, approver: Principal, *, limit: int, after: PageKey | None = None) -> Page:
        """Up to ``limit`` requests ``approver`` may decide after ``after``; oldest first."""
        ...

    def find(self, request_id: str) -> PendingApproval | None:
        """The request if its thread still waits on it (read from the thread's checkpoint)."""
        ...

    def count(self) -> int:
        """How many requests are outstanding in all."""
        ...

    def about(self, student: int) -> list[PendingApproval]:
        """The outstanding requests about one student, whoever decides them; oldest first."""
        ...

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
    ``index`` lists the waiting requests in SQL (:class:`runtime.approval_index.ApprovalIndex`,
    kept by whoever records the runs: :class:`runtime.pipeline.VaultedApprovalQueue`); a
    request found there is still read from its thread's checkpoint before it is answered or
    shown. None walks every thread of the checkpointer on each listing, which is only fit for
    a store that keeps few threads (a test's graph).
    """

    graph: Any
    checkpointer: Any
    directory: ApproverDirectory
    context_for: Callable[[ApprovalRequest], Any] | None = None
    index: ApprovalIndex | None = None

    def _walk(self) -> list[PendingApproval]:
        """Every outstanding request of every thread (no index), oldest first."""
        found = [p for t in all_threads(self.checkpointer) for p in outstanding(self.graph, t)]
        return sorted(found, key=lambda p: (p.request.created_at, p.request.id))

    def page(self, approver: Principal, *, limit: int, after: PageKey | None = None) -> Page:
        """The index's page within the approver's reach, each request judged by the rule.

        The SQL narrows by the reach; :func:`~agents.approvals.refusal_for` (the guard's rule)
        has the last word on each row, so the list never offers a button the guard would
        refuse. Without an index: every thread's requests, judged, then cut the same way.
        """
        by = decided_by(approver)
        if self.index is None:
            mine = [p for p in self._walk() if refusal_for(p.request, by, self.directory) is None]
            return page_of(mine, limit, after)
        approving = approver_of_role(by.role)
        terms = self.index.terms(approving) if approving is not None else []
        reach = reach_of(by, terms, self.directory)
        if reach is None:
            return Page([], None)
        found = self.index.page(reach, limit=limit, after=after)
        judge = ReachDirectory(reach, self.directory)
        judged = [p for p in found.items if refusal_for(p.request, by, judge) is None]
        return Page(judged, found.next)

    def find(self, request_id: str) -> PendingApproval | None:
        """The request as its thread's checkpoint has it; a stale index row is dropped."""
        if self.index is None:
            return next((p for p in self._walk() if p.request.id == request_id), None)
        indexed = self.index.get(request_id)
        if indexed is None:
            return None
        live = outstanding(self.graph, indexed.thread_id)
        found = next((p for p in live if p.request.id == request_id), None)
        if found is None:
            self.index.forget(request_id)
        return found

    def count(self) -> int:
        """Outstanding requests in all: the index's count, else a walk."""
        return self.index.count() if self.index is not None else len(self._walk())

    def about(self, student: int) -> list[PendingApproval]:
        """The student's outstanding requests: the index's, else a walk."""
        if self.index is not None:
            return self.index.about(student)
        return [p for p in self._walk() if _student(p.request) == student]

    def pending(self, approver: Principal | None = None) -> list[PendingApproval]:
        """Outstanding requests, oldest first; scoped to ``approver`` when given (all pages)."""
        found: list[PendingApproval] = []
        after: PageKey | None = None
        while True:
            if approver is not None:
                page = self.page(approver, limit=MAX_PAGE, after=after)
            elif self.index is not None:
                page = self.index.page(None, limit=MAX_PAGE, after=after)
            else:
                return self._walk()
            found += page.items
            if page.next is None:
                return found
            after = page.next

    def resume(self, pending: PendingApproval, answer: dict[str, Any]) -> None:
        """Answer one interrupt by id; parallel ones of the same thread keep waiting."""
        decide(
            self.graph,
            pending.thread_id,
            {pending.interrupt_id: answer},
            directory=self.directory,
            context=self.context_for(pending.request) if self.context_for else None,
        )


def _student(request: ApprovalRequest) -> int | None:
    student = request.subject.get("student")
    return int(student) if student is not None else None


@dataclass
class ApprovalDesk:
    """Scope-filtered listing and audited decisions over an :class:`ApprovalQueue`."""

    queue: ApprovalQueue
    audit: AuditLog
    directory: Directory
    clock: Callable[[], datetime] = field(default=utcnow)

    def page(
        self, principal: Principal, *, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> Page:
        """A page of the requests ``principal`` may decide; ``cursor`` from the previous page."""
        after = PageKey.decode(cursor) if cursor else None
        return self.queue.page(principal, limit=limit, after=after)

    def count(self) -> int:
        """How many requests are outstanding in all (for the metrics)."""
        return self.queue.count()

    def _mine(self, principal: Principal, request_id: str) -> PendingApproval:
        """The caller's pending request, else 404 (nothing waits) or 403 (not theirs)."""
        found = self.queue.find(request_id)
        if found is None:
            raise NotFoundError("pending approval", id=request_id)
        if refusal_for(found.request, decided_by(principal), self.directory) is not None:
            raise OutOfScope(
                f"only the request's approver ({found.request.approver.value.replace('_', ' ')})"
                " may decide it"
            )
        return found

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
            other = self.queue.find(request_id)
            assert other is not None  # _mine raised OutOfScope, so the request exists
            self._record(principal, other.request, response, "deny", f"approval refused: {refusal}")
            raise
        request = pending.request
        if self.expired(request):
            raise RequestExpired(f"request {request.id} expired at {request.expires_at}")
        if response == "edit":
            try:
                args = self._checked_edit(principal, request, args or {})
            except OutOfScope as refusal:
                self._record(principal, request, response, "deny", f"edit refused: {refusal}")
                raise
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

    def _checked_edit(
        self, principal: Principal, request: ApprovalRequest, args: dict[str, Any]
    ) -> dict[str, Any]:
        """The edited arguments judged now as the guard will judge them on resume.

        A bad edit (an unknown or invalid argument: :class:`ValidationFailed`, 422; a subject
        outside the approver's authority, such as another instructor's CRN or a student who
        is not the advisor's advisee: :class:`OutOfScope`, 403) leaves the request pending;
        after the resume it would only be refused, and the request used up.
        """
        spec = TOOL_SPECS[request.action_request.action]
        unknown = sorted(set(args) - set(spec.args.model_fields))
        if unknown:
            raise ValidationFailed(f"{spec.traits.name} takes no argument {', '.join(unknown)}")
        try:
            checked = spec.args.model_validate(args).model_dump(mode="json", exclude_unset=True)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(map(str, error["loc"])) or "args"
            raise ValidationFailed(f"edited {where}: {error['msg']}") from None
        traits, was = spec.traits, request.subject
        term_arg, crn_arg = traits.section_args or ("", "")
        student = checked.get(traits.student_arg or "", was.get("student"))
        subject = Subject(
            student=int(student) if student is not None else None,
            term=str(checked.get(term_arg, was.get("term")) or "") or None,
            crn=str(checked.get(crn_arg, was.get("crn")) or "") or None,
            department=str(was.get("department") or "") or None,
        )
        refusal = refusal_of_approver(
            request.approver, decided_by(principal), request.requested_by, subject, self.directory
        )
        if refusal:
            raise OutOfScope(f"the edited request is outside your authority: {refusal}")
        return args

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
