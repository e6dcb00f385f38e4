"""The guard: the one door between an agent and the Banner and Canvas tools.

Every tool call an agent makes passes :meth:`Guard.wrap_tool_call` (a LangGraph ``ToolNode``
``wrap_tool_call`` hook; :class:`GuardMiddleware` adapts it to ``create_agent``):

0. **rollout**: the run's workflow and section (from its context, never the model) decide the
   mode (:mod:`policies.rollout`): ``off`` refuses everything, ``shadow`` records a write
   instead of executing it (reads still run), ``approve`` sends every write to step 2;
1. **authorize**: the role needs a grant for the tool (deny by default); pseudonyms in the
   arguments are turned back into values, the arguments are validated against the tool's
   schema, the implied subject (self, on-behalf-of) is filled in, and the scope rule is checked
   against Banner;
2. **approve** when the grant says so: ``interrupt(ApprovalRequest)`` pauses the graph; only an
   approve or edit answer from an eligible person, before expiry, lets the call run;
3. **execute** the tool;
4. **redact** the result before it becomes a message the model reads;
5. **audit** every outcome (denial, request, decision, execution) with redacted arguments.

A denial is a ``ToolMessage`` with ``status="error"`` whose text tells the model why; nothing
is executed. Tool functions check :func:`require_guard`, so calling one outside the guard fails.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeGuard

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.errors import GraphInterrupt
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt
from pydantic import BaseModel, ValidationError

from core.clock import utcnow
from core.errors import BcaError, ConfigurationError, ValidationFailed
from policies.approvals import (
    APPROVERS,
    ActionRequest,
    ApprovalRequest,
    ApprovalSettings,
    Approver,
    Edit,
    Reject,
    Requester,
    describe,
    expired,
    needs_approval,
    parse_decision,
    refusal_of_approver,
    request_id,
)
from policies.audit import AuditEvent, AuditLog, Decision
from policies.pii import PseudonymVault, RedactionResult
from policies.rbac import Approval, Grant, Policy, Principal, ToolTraits
from policies.rollout import Mode
from policies.rollout_gate import Bound, RolloutGate
from policies.scope import Directory, implied_student, out_of_scope, subject_of

Result = ToolMessage | Command[Any]
Execute = Callable[[ToolCallRequest], Result]


class Redactor(Protocol):
    """What the guard needs of :class:`policies.pii.Redactor` (the benchmark passes a no-op)."""

    def redact_text(self, text: str, vault: PseudonymVault) -> RedactionResult:
        """``text`` with personal data replaced by the run's pseudonyms."""
        ...

    def redact_record(self, record: Any, vault: PseudonymVault) -> Any:
        """A JSON-like structure with personal fields and free text redacted."""
        ...


class RunContext(Protocol):
    """The per-run LangGraph context the guard reads (``graph.invoke(..., context=...)``)."""

    @property
    def principal(self) -> Principal:
        """The authenticated caller; never derived from model output."""
        ...

    @property
    def directory(self) -> Directory:
        """Banner relationships for scope and approver checks."""
        ...

    @property
    def redactor(self) -> Redactor:
        """The redactor of this run."""
        ...

    @property
    def vault(self) -> PseudonymVault:
        """The pseudonym vault of this run."""
        ...

    def bulk_share(self, tool: str, args: Mapping[str, Any]) -> float | None:
        """Share of its population a bulk call would change (None: not a bulk call)."""
        ...


_INSIDE_GUARD: ContextVar[bool] = ContextVar("inside_guard", default=False)
_BOUND_STUDENT: ContextVar[int | None] = ContextVar("bound_student", default=None)


class OutsideGuard(PermissionError):
    """A tool function was called without passing the guard."""


def require_guard(tool: str) -> None:
    """Raise unless the current call is being executed by the guard (tool functions call this)."""
    if not _INSIDE_GUARD.get():
        raise OutsideGuard(f"tool {tool!r} may only be called through the policy guard")


def bound_student(tool: str) -> int:
    """The student the guard bound a caller-bound call to (the signed-in one), for its tool.

    The guard works this out from the principal and the grant's scope before it runs the tool;
    a tool reads it here rather than from its arguments, which cannot name a student at all.
    """
    require_guard(tool)
    student = _BOUND_STUDENT.get()
    if student is None:
        raise OutsideGuard(f"tool {tool!r} is caller-bound but the guard bound no student")
    return student


@contextmanager
def _inside_guard(student: int | None = None) -> Iterator[None]:
    token = _INSIDE_GUARD.set(True)
    bound = _BOUND_STUDENT.set(student)
    try:
        yield
    finally:
        _BOUND_STUDENT.reset(bound)
        _INSIDE_GUARD.reset(token)


class Denied(Exception):
    """A policy refusal; the message is written for the model."""


@dataclass
class _Call:
    """One tool call on its way through the guard."""

    request: ToolCallRequest
    ctx: RunContext
    started: float
    thread_id: str | None
    reasoning: str | None
    args: dict[str, Any] = field(default_factory=dict)
    student: int | None = None  # the signed-in student a caller-bound call is bound to
    approved_by: str | None = None

    @property
    def name(self) -> str:
        return self.request.tool_call["name"]

    @property
    def call_id(self) -> str:
        return self.request.tool_call["id"] or ""


@dataclass
class Guard:
    """Shared by every run of an agent graph; per-run facts come from the :class:`RunContext`."""

    policy: Policy
    audit: AuditLog
    approvals: ApprovalSettings = field(default_factory=ApprovalSettings)
    clock: Callable[[], datetime] = field(default=utcnow)
    rollout: RolloutGate | None = None
    """Rollout modes per workflow and section; None: every workflow runs ``auto``."""

    def __post_init__(self) -> None:
        """Refuse a policy whose approvals nobody could give."""
        unapprovable = sorted(
            {
                grant.tool
                for _role, grant in self.policy.grants()
                if grant.approval is not Approval.NEVER and grant.tool not in APPROVERS
            }
        )
        if unapprovable:
            raise ConfigurationError(
                f"{self.policy.source}: grants need approval for tools with no approver rule: "
                + ", ".join(unapprovable)
            )

    # -- the hook -------------------------------------------------------------------------

    def wrap_tool_call(self, request: ToolCallRequest, execute: Execute) -> Result:
        """``ToolNode(wrap_tool_call=guard.wrap_tool_call)``: the whole pipeline for one call."""
        started = time.perf_counter()
        ctx: object = getattr(request.runtime, "context", None)
        if not _is_run_context(ctx):
            return _refusal(request, "no authenticated caller for this run; nothing was executed")
        config = request.runtime.config or {}
        call = _Call(
            request=request,
            ctx=ctx,
            started=started,
            thread_id=(config.get("configurable") or {}).get("thread_id"),
            reasoning=_reasoning(request, ctx),
        )
        try:
            bound = self.rollout.mode_of(ctx) if self.rollout is not None else Bound(Mode.AUTO)
            if bound.mode is Mode.OFF:
                raise Denied(
                    f"workflow {bound.workflow} is switched off here by the rollout controls;"
                    " nothing was executed"
                )
            grant, traits = self._authorize(call, request.tool_call.get("args") or {})
            if traits.writes and bound.mode is Mode.SHADOW:
                return self._shadow(call, bound)
            if (traits.writes and bound.mode is Mode.APPROVE) or needs_approval(
                grant.approval, ctx.bulk_share(call.name, call.args), self.approvals
            ):
                self._await_approval(call, grant, traits)
        except Denied as refusal:
            return self._deny(call, str(refusal))
        return self._execute(call, execute)

    def _shadow(self, call: _Call, bound: Bound) -> ToolMessage:
        """A write in shadow: recorded (shadow log and audit), never executed."""
        assert self.rollout is not None
        text = self.rollout.shadow(
            call.ctx, bound, call.name, call.args, _redacted_args(call), call.thread_id
        )
        self._record(call, "shadow", "shadowed")
        return ToolMessage(content=text, name=call.name, tool_call_id=call.call_id, status="error")

    # -- authorize ------------------------------------------------------------------------

    def _authorize(self, call: _Call, raw_args: Mapping[str, Any]) -> tuple[Grant, ToolTraits]:
        """Grant, arguments and scope; sets ``call.args`` to the checked arguments."""
        principal = call.ctx.principal
        grant = self.policy.grant(principal.role, call.name)
        traits = self.policy.catalogue.get(call.name)
        tool = call.request.tool
        if grant is None or traits is None or tool is None:
            raise Denied(f"role '{principal.role}' may not use tool '{call.name}'")
        args = _restore(raw_args, call.ctx.vault)
        student = implied_student(grant.scope, principal)
        if traits.caller_bound and student is None:
            raise Denied("this tool reads the signed-in student's records, and there is none")
        schema = tool.args_schema
        if traits.caller_bound and isinstance(schema, type) and issubclass(schema, BaseModel):
            unknown = sorted(set(args) - set(schema.model_fields))
            if unknown:  # a caller-bound tool takes no student: naming one is refused, not ignored
                raise Denied(
                    f"tool '{call.name}' takes no argument {', '.join(unknown)}: it reads only"
                    " the signed-in student's records"
                )
        if traits.student_arg and student is not None and args.get(traits.student_arg) is None:
            args[traits.student_arg] = student
        call.args = _validated(tool.args_schema, args)
        subject = subject_of(traits, call.args, principal, grant.scope)
        reason = out_of_scope(grant.scope, principal, subject, call.ctx.directory)
        if reason:
            raise Denied(reason)
        call.student = subject.student if traits.caller_bound else None
        return grant, traits

    # -- approve --------------------------------------------------------------------------

    def _await_approval(self, call: _Call, grant: Grant, traits: ToolTraits) -> None:
        """Pause for a person; return only when an eligible one approved (args may change)."""
        principal = call.ctx.principal
        subject = subject_of(traits, call.args, principal, grant.scope)
        approval_id = request_id(call.thread_id, call.call_id)
        now = self.clock()
        # A write that waits only because its workflow is in ``approve`` goes to the registrar.
        approver = APPROVERS.get(call.name, Approver.REGISTRAR)
        payload = ApprovalRequest(
            id=approval_id,
            action_request=ActionRequest(action=call.name, args=call.args),
            description=describe(
                call.name,
                _redacted_args(call),
                call.reasoning,
                [
                    f"requested by {principal.actor} (role {principal.role})",
                    f"within the grant's scope '{grant.scope}', checked against Banner",
                    f"approver: {approver.value.replace('_', ' ')}",
                ],
            ),
            approver=approver,
            requested_by=Requester.of(principal),
            subject={"student": subject.student, "term": subject.term, "crn": subject.crn},
            thread_id=call.thread_id,
            created_at=now,
            expires_at=now + self.approvals.ttl,
        )
        try:
            answer = interrupt(payload.model_dump(mode="json"))
        except GraphInterrupt:
            # A resume re-runs the tool node and a call still waiting interrupts again (for
            # every answer to another request of the run): one audit row per request, ever.
            if self.audit.find_approval_request(approval_id) is None:
                self._record(call, "needs-approval", "awaiting approval", approval_id=approval_id)
            raise
        try:
            decision = parse_decision(answer)
        except ValidationFailed as exc:
            raise Denied(f"approval answer refused: {exc}") from None
        record = self.audit.find_approval_request(approval_id)
        if decision.request_id != approval_id:
            raise Denied("the approval answered a different request; nothing was executed")
        if record is None:
            raise Denied("no recorded approval request matches this answer; nothing was executed")
        created = datetime.strptime(record.time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        if expired(created, self.clock(), self.approvals):
            raise Denied("the approval request expired before it was answered")
        if isinstance(decision, Edit):
            self._authorize(call, decision.args)
            subject = subject_of(traits, call.args, principal, grant.scope)
        refusal = refusal_of_approver(
            approver, decision.by, payload.requested_by, subject, call.ctx.directory
        )
        if refusal:
            raise Denied(f"approval by {decision.by.actor} refused: {refusal}")
        if isinstance(decision, Reject):
            raise Denied(f"a person rejected this action: {decision.reason or 'no reason given'}")
        if decision.type == "comment":
            raise Denied(f"a person declined to run it and commented: {decision.text}")
        verb = "edited" if isinstance(decision, Edit) else "approved"
        call.approved_by = f"{verb} by {decision.by.actor} ({decision.by.role})"

    # -- execute, redact, audit -----------------------------------------------------------

    def _execute(self, call: _Call, execute: Execute) -> Result:
        """Run the checked call; project errors become messages, anything else stays a bug."""
        request = call.request.override(tool_call={**call.request.tool_call, "args": call.args})
        try:
            with _inside_guard(call.student):
                result = execute(request)
        except BcaError as exc:
            result = ToolMessage(
                content=str(exc), name=call.name, tool_call_id=call.call_id, status="error"
            )
        except Exception as exc:
            self._record(call, "allow", f"failed: {type(exc).__name__}")
            raise
        if isinstance(result, ToolMessage):
            traits = self.policy.catalogue.get(call.name)
            if result.status == "error" or traits is None or not traits.published:
                result = result.model_copy(
                    update={"content": _redact_content(result.content, call.ctx)}
                )
            outcome = "ok" if result.status != "error" else f"error: {result.content}"
        else:
            outcome = "ok (command)"
        if call.approved_by:
            outcome = f"{outcome}; {call.approved_by}"
        self._record(call, "allow", outcome)
        return result

    def _deny(self, call: _Call, reason: str) -> ToolMessage:
        """Audit and explain a refusal; a person's comment in it is redacted like any text."""
        safe = _redact_text(call.ctx, reason)
        self._record(call, "deny", safe)
        return _refusal(call.request, safe)

    def _record(
        self, call: _Call, decision: Decision, outcome: str, approval_id: str | None = None
    ) -> None:
        principal = call.ctx.principal
        self.audit.append(
            AuditEvent(
                actor=principal.actor,
                role=principal.role.value,
                on_behalf_of=str(principal.on_behalf_of) if principal.on_behalf_of else None,
                tool=call.name,
                arguments=_redacted_args(call),
                decision=decision,
                outcome=_redact_text(call.ctx, outcome),
                latency_ms=(time.perf_counter() - call.started) * 1000,
                thread_id=call.thread_id,
                approval_id=approval_id or request_id(call.thread_id, call.call_id),
                reasoning=call.reasoning,
            )
        )

    def tool_node(self, tools: list[Any]) -> ToolNode:
        """A ``ToolNode`` whose every call passes this guard."""
        return ToolNode(tools, wrap_tool_call=self.wrap_tool_call)


class GuardMiddleware(AgentMiddleware):
    """The guard as LangChain agent middleware, for graphs built with ``create_agent``."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def wrap_tool_call(self, request: ToolCallRequest, handler: Execute) -> Result:
        """Delegate to :meth:`Guard.wrap_tool_call`."""
        return self.guard.wrap_tool_call(request, handler)


# -- helpers -----------------------------------------------------------------------------


def _is_run_context(ctx: object) -> TypeGuard[RunContext]:
    return all(
        hasattr(ctx, name) for name in ("principal", "directory", "redactor", "vault", "bulk_share")
    ) and isinstance(getattr(ctx, "principal", None), Principal)


def _refusal(request: ToolCallRequest, reason: str) -> ToolMessage:
    return ToolMessage(
        content=f"Denied by policy: {reason}",
        name=request.tool_call["name"],
        tool_call_id=request.tool_call["id"] or "",
        status="error",
    )


def _redact_text(ctx: RunContext, text: str) -> str:
    return ctx.redactor.redact_text(text, ctx.vault).text


def _reasoning(request: ToolCallRequest, ctx: RunContext) -> str | None:
    """The text of the model turn that asked for this call, redacted."""
    state = request.state
    messages = state.get("messages", []) if isinstance(state, Mapping) else state
    call_id = request.tool_call["id"]
    for message in reversed(messages if isinstance(messages, list) else []):
        if isinstance(message, AIMessage) and any(c["id"] == call_id for c in message.tool_calls):
            text = str(message.text)  # an exact str: Presidio refuses str subclasses
            return _redact_text(ctx, text) if text.strip() else None
    return None


def _restore(value: Any, vault: PseudonymVault) -> Any:
    """Arguments with this run's pseudonyms replaced by their values (unknown ones refused)."""
    if isinstance(value, str):
        try:
            return vault.reidentify(value)
        except ValidationFailed as exc:
            raise Denied(str(exc)) from None
    if isinstance(value, Mapping):
        return {k: _restore(v, vault) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, vault) for v in value]
    return value


def _validated(schema: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Arguments checked by the tool's schema; errors name fields, never echo values."""
    if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
        raise Denied("the tool declares no argument schema, so its arguments cannot be checked")
    try:
        model = schema.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        raise Denied(f"invalid arguments: {problems}") from None
    return model.model_dump(mode="json", exclude_unset=False)


def _redacted_args(call: _Call) -> dict[str, Any]:
    redacted = call.ctx.redactor.redact_record(call.args, call.ctx.vault)
    return redacted if isinstance(redacted, dict) else {"args": redacted}


def _redact_content(content: Any, ctx: RunContext) -> Any:
    """Structured results (JSON) are redacted field by field, anything else as text."""
    if isinstance(content, str):
        try:
            data = json.loads(content)
        except ValueError:
            return _redact_text(ctx, content)
        if isinstance(data, dict | list):
            return json.dumps(ctx.redactor.redact_record(data, ctx.vault), ensure_ascii=False)
        return _redact_text(ctx, content)
    return ctx.redactor.redact_record(content, ctx.vault)
