"""Solvers: what runs one case, producing a :class:`CaseRun` for the scorers.

The ``drafting`` solver drives the project's real :class:`~agents.drafting.Drafter` (its
bounds, its checks, its template fallback) with the model client of the run, on inputs built
as the specialists build them (:mod:`evals.inputs`) and redacted by the real Presidio
redactor; the drafted text goes into the tool call the specialist composes, and that call is
decided by the policy the guard enforces (``policies/rbac.yaml``): allowed, waiting for a
person, or denied.

The ``support`` solver drives the deployed support chatbot
(:class:`~agents.support.agent.SupportAgent`: its screen, its guard, its citation check, its
template fallback) for a sandbox student, one conversation per case, and fills the same
:class:`CaseRun` from the graph's run: every tool call with the guard's decision as the audit
trail recorded it, the chunks its searches returned, what the answer cites and the hand-off,
so every scorer applies unchanged and the chat scorers (citations, hand-off) have their facts.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from inspect_ai.solver import Generate, Solver, TaskState, solver
from langchain_core.messages import AIMessage, AnyMessage
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel

from agents.drafting import BreakerPolicy, Drafter, DrafterLimits, MemoryDraftLog
from agents.support.agent import SupportAgent
from agents.support.citations import check_citations
from agents.support.config import SupportConfig
from agents.support.graph import PROMPT as SUPPORT_PROMPT
from agents.support.template import TEMPLATE_LABEL
from agents.support.turn import answers, sources, this_turn
from agents.toolbox import ToolContext
from agents.toolbox.catalogue import load_default_policy
from core.errors import ConfigurationError
from evals.chat_sandbox import ChatBench, load_cast, sandbox
from evals.inputs import INPUTS, ChatInput
from evals.matching import CallRecord
from evals.models import Capture, ModelTarget, chat_model
from evals.people import People
from evals.suite import Case, Suite
from policies.approvals import request_id
from policies.audit import AuditLog
from policies.pii import PseudonymVault, Redactor
from policies.pii.patterns import DEFAULT_BANNER_ID_PATTERN
from policies.rbac import Approval, Policy, Principal, Role
from prompts import load_prompt
from sandbox.model.script import Script, ScriptPlayer


class CaseRun(BaseModel):
    """What one epoch of one case did: the messages sent, the output, calls, cost."""

    case_id: str
    prompt_ref: str
    model: str
    sent: list[list[dict[str, Any]]]
    """Every model call's messages, exactly as given to the client (already redacted)."""
    draft: str
    """The drafted text as the approving person sees it (pseudonyms in place)."""
    output: str
    """The text as it would leave the system, re-identified after approval."""
    drafted_by: str
    fallback: str | None = None
    model_errors: list[str] = []
    calls: list[CallRecord] = []
    retrieved: list[str] = []
    """Chunk ids the answer's turn retrieved (an agent that searches)."""
    citations: list[str] = []
    """Chunk ids the output cites, in order, retrieved or not."""
    handoff: str | None = None
    """Why the turn went to a person, if it did."""
    evidence: str = ""
    """The numbered lines a prompt with ``cite:`` must rest every sentence on."""
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0


@dataclass
class SuiteContext:
    """What every case of one suite run shares."""

    suite: Suite
    people: People
    target: ModelTarget
    prompt_ref: str
    redactor: Redactor
    prices: dict[str, tuple[float, float]]
    forced: bool = False
    """The prompt version was chosen for the run (``--prompt``): it overrides the cases'."""
    banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN
    """The institution's Banner ID pattern, for the redactor an agent suite builds."""
    policy: Policy = field(default_factory=load_default_policy)
    player: ScriptPlayer | None = None

    def __post_init__(self) -> None:
        self.cases = {c.id: c for c in self.suite.cases}
        if self.target.kind == "scripted":
            self.player = ScriptPlayer(Script(rules=self.suite.script))

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        """Estimated USD from the settings' price table (unlisted models cost 0)."""
        price_in, price_out = self.prices.get(self.target.name, (0.0, 0.0))
        return round((tokens_in * price_in + tokens_out * price_out) / 1_000_000, 6)


def _decide(policy: Policy, call: CallRecord, role: Any) -> CallRecord:
    grant = policy.grant(role, call.tool)
    if grant is None:
        return call.model_copy(update={"decision": "denied"})
    waits = grant.approval is Approval.ALWAYS
    return call.model_copy(
        update={"decision": "interrupted" if waits else "allowed", "needs_approval": waits}
    )


def run_case(ctx: SuiteContext, case: Case) -> CaseRun:
    """One epoch of a drafting case (blocking; the solver runs it in a thread)."""
    kind = INPUTS[ctx.suite.prompt_name]
    raw = kind.model.model_validate(case.input)
    vault = PseudonymVault()

    def redact(text: str) -> str:
        return ctx.redactor.redact_text(text, vault).text

    composed = kind.build(raw, ctx.people.by_key(), vault, redact)
    capture = Capture()
    log = MemoryDraftLog()
    drafter = Drafter(
        chat_model(ctx.target, capture, ctx.player),
        ctx.target.name,
        limits=DrafterLimits(
            timeout_seconds=ctx.target.timeout_seconds,
            max_retries=0,
            token_field=ctx.target.token_field,
            concurrency=1,
            breaker=BreakerPolicy(failures=1_000_000),  # every case asks the model
        ),
        log=log,
    )
    prompt_ref = ctx.prompt_ref if ctx.forced else (case.prompt or ctx.prompt_ref)
    started = time.perf_counter()
    draft = drafter.draft(prompt_ref, composed.variables, vault)
    elapsed = (time.perf_counter() - started) * 1000
    records = log.all()
    tokens_in = sum(r.tokens_in for r in records)
    tokens_out = sum(r.tokens_out for r in records)
    calls = []
    if composed.tool is not None:
        args = composed.call_args(draft.text)
        call = CallRecord(tool=composed.tool, args=args, decision="composed")
        calls.append(_decide(ctx.policy, call, composed.role))
    cite = load_prompt(ctx.suite.prompt).cite  # the suite's: a version dropping it is still held
    return CaseRun(
        case_id=case.id,
        prompt_ref=draft.prompt_ref,
        model=ctx.target.label,
        sent=capture.calls,
        draft=draft.text,
        output=vault.reidentify(draft.text),
        drafted_by="model" if draft.model is not None else "template",
        fallback=draft.fallback,
        model_errors=capture.errors,
        calls=calls,
        evidence=str(composed.variables.get(cite, "")) if cite else "",
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        latency_ms=round(elapsed, 1),
        cost_usd=ctx.cost(tokens_in, tokens_out),
    )


_DECISIONS = {"allow": "allowed", "deny": "denied", "needs-approval": "interrupted"}


def _guarded_calls(
    audit: AuditLog, thread: str, messages: Sequence[AnyMessage]
) -> list[CallRecord]:
    """Every tool call of the conversation, in order, with what the guard recorded of it.

    The model's own arguments are kept (the audit holds only those that passed the schema);
    a call the guard never saw is ``skipped``.
    """
    decided: defaultdict[str, deque[str]] = defaultdict(deque)
    for event in audit.iter_events():
        if event.thread_id == thread and event.approval_id:
            decided[event.approval_id].append(event.decision)
    records = []
    for message in messages:
        for call in message.tool_calls if isinstance(message, AIMessage) else []:
            queue = decided[request_id(thread, call["id"] or "")]
            decision = _DECISIONS.get(queue.popleft(), "skipped") if queue else "skipped"
            records.append(
                CallRecord(tool=call["name"], args=dict(call["args"]), decision=decision,
                           needs_approval=decision == "interrupted")
            )  # fmt: skip
    return records


def run_chat_case(ctx: SuiteContext, bench: ChatBench, case: Case) -> CaseRun:
    """One epoch of a support-chat case: every turn through the chatbot (blocking)."""
    raw = ChatInput.model_validate(case.input)
    people = ctx.people.by_key()
    capture = Capture()
    model = None if raw.mode == "template" else chat_model(ctx.target, capture, ctx.player)
    config = SupportConfig(token_field=ctx.target.token_field)  # the shipped limits, not the env's
    agent = SupportAgent(bench.guard, bench.embedder, model, config, InMemorySaver())
    thread = f"eval:{ctx.suite.name}:{case.id}:{uuid4().hex[:12]}"
    principal = Principal(
        actor="agent:support", role=Role.SUPPORT, on_behalf_of=people[raw.student].pidm,
        term=bench.plan.term,
    )  # fmt: skip
    tools = ToolContext(
        principal=principal, banner=bench.banner, redactor=bench.redactor, kb=bench.kb,
        vault=PseudonymVault(), today=bench.plan.today,
    )  # fmt: skip
    started = time.perf_counter()
    for message in raw.turns(people):
        result = agent.answer(tools, message=message, thread_id=thread)
    elapsed = (time.perf_counter() - started) * 1000
    values = agent.graph.get_state({"configurable": {"thread_id": thread}}).values
    found = sources(answers(this_turn(values["messages"])), min_score=float("-inf"))
    cited = check_citations(result.answer, found)
    if TEMPLATE_LABEL in result.answer:
        drafted_by = "template"
    else:  # the model's words end a turn unhanded; a screen's or a hand-off's are the rules'
        drafted_by = "model" if result.mode == "model" and result.handoff is None else "rules"
    return CaseRun(
        case_id=case.id,
        prompt_ref=SUPPORT_PROMPT,
        model=ctx.target.label,
        sent=capture.calls,
        draft=result.transcript[-1].text,
        output=result.answer,
        drafted_by=drafted_by,
        fallback=values.get("note") or None,
        model_errors=capture.errors,
        calls=_guarded_calls(bench.audit, thread, values["messages"]),
        retrieved=[s.chunk_id for s in found],
        citations=[*(c.chunk_id for c in cited.cited), *cited.invented],
        handoff=result.handoff.reason if result.handoff else None,
        tokens_in=capture.tokens_in,
        tokens_out=capture.tokens_out,
        latency_ms=round(elapsed, 1),
        cost_usd=ctx.cost(capture.tokens_in, capture.tokens_out),
    )


def _solve(ctx: SuiteContext, run: Callable[[Case], CaseRun]) -> Solver:
    """Runs the sample's case in a thread and keeps its :class:`CaseRun` in the store."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        case = ctx.cases[str(state.sample_id)]
        result = await asyncio.to_thread(run, case)
        state.store.set("run", result.model_dump(mode="json"))
        state.output.completion = result.draft
        return state

    return solve


@solver
def drafting_solver(ctx: SuiteContext) -> Solver:
    """The inspect solver of a drafting suite."""
    return _solve(ctx, lambda case: run_case(ctx, case))


@solver
def support_solver(ctx: SuiteContext) -> Solver:
    """The inspect solver of a support-chat suite; the sandbox is ready before any case runs."""
    if ctx.prompt_ref != SUPPORT_PROMPT:
        raise ConfigurationError(
            f"{ctx.suite.name}: the support agent answers with {SUPPORT_PROMPT} only"
        )
    bench = sandbox(load_cast(ctx.suite.fixtures).sandbox).bench(ctx.banner_id_pattern)
    return _solve(ctx, lambda case: run_chat_case(ctx, bench, case))


SOLVERS: dict[str, Callable[[SuiteContext], Solver]] = {
    "drafting": drafting_solver,
    "support": support_solver,
}
"""The solver a suite names (``solver:`` in its file)."""
