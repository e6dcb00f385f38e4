"""Solvers: what runs one case, producing a :class:`CaseRun` for the scorers.

The ``drafting`` solver drives the project's real :class:`~agents.drafting.Drafter` (its
bounds, its checks, its template fallback) with the model client of the run, on inputs built
as the specialists build them (:mod:`evals.inputs`) and redacted by the real Presidio
redactor; the drafted text goes into the tool call the specialist composes, and that call is
decided by the policy the guard enforces (``policies/rbac.yaml``): allowed, waiting for a
person, or denied. An agent suite (the support chatbot) adds a solver of its own here that
fills the same :class:`CaseRun` from its graph's run (every tool call with the guard's
decision), and every scorer applies unchanged.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from inspect_ai.solver import Generate, Solver, TaskState, solver
from pydantic import BaseModel

from agents.drafting import BreakerPolicy, Drafter, DrafterLimits, MemoryDraftLog
from agents.toolbox.catalogue import load_default_policy
from evals.inputs import INPUTS
from evals.matching import CallRecord
from evals.models import Capture, ModelTarget, chat_model
from evals.people import People
from evals.suite import Case, Suite
from policies.pii import PseudonymVault, Redactor
from policies.rbac import Approval, Policy
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
    person = ctx.people.by_key()[raw.student]
    vault = PseudonymVault()
    composed = kind.build(raw, person, vault, lambda t: ctx.redactor.redact_text(t, vault).text)
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
    call = CallRecord(tool=composed.tool, args=composed.call_args(draft.text), decision="composed")
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
        calls=[_decide(ctx.policy, call, composed.role)],
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        latency_ms=round(elapsed, 1),
        cost_usd=ctx.cost(tokens_in, tokens_out),
    )


@solver
def drafting_solver(ctx: SuiteContext) -> Solver:
    """The inspect solver: runs the sample's case and keeps its :class:`CaseRun` in the store."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        case = ctx.cases[str(state.sample_id)]
        run = await asyncio.to_thread(run_case, ctx, case)
        state.store.set("run", run.model_dump(mode="json"))
        state.output.completion = run.draft
        return state

    return solve
