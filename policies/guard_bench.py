"""Guard overhead per tool call, excluding redaction: what ``bench/redaction.py`` reports.

The same no-op tool is called through a guarded ``ToolNode`` and through a bare one; the
difference of their per-call times is the guard's cost (grant lookup, argument validation,
scope check, the audit append on a SQLite file). Redaction is replaced by a pass-through so
that its cost, measured separately by the PII benchmark, is not counted twice.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.tools import StructuredTool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.prebuilt.tool_node import ToolCallRequest
from pydantic import BaseModel

from core.db import make_engine
from policies.audit import AuditEvent, AuditLog
from policies.guard import Execute, Guard, Result
from policies.pii import PseudonymVault, RedactionResult
from policies.rbac import Approval, Policy, PolicyFile, Principal, Role, ToolTraits


class PassThroughRedactor:
    """A redactor that changes nothing: isolates the guard's own cost."""

    def redact_text(self, text: str, vault: PseudonymVault) -> RedactionResult:
        """``text`` unchanged."""
        return RedactionResult(text=text, entities=[])

    def redact_record(self, record: Any, vault: PseudonymVault) -> Any:
        """``record`` unchanged."""
        return record


class _Directory:
    """Every relationship holds: the bench measures the guard, not Banner's latency."""

    def is_advisor_of(self, advisor_pidm: int, student_pidm: int, term: str) -> bool:
        return True

    def teaches(self, instructor_pidm: int, term: str, crn: str) -> bool:
        return True

    def teaches_student(self, instructor_pidm: int, student_pidm: int, term: str) -> bool:
        return True

    def on_roster(self, student_pidm: int, term: str, crn: str) -> bool:
        return True

    def is_primary_instructor(self, pidm: int, term: str, crn: str) -> bool:
        return True


@dataclass(frozen=True)
class _Context:
    principal: Principal
    directory: _Directory = field(default_factory=_Directory)
    redactor: PassThroughRedactor = field(default_factory=PassThroughRedactor)
    vault: PseudonymVault = field(default_factory=PseudonymVault)

    def bulk_share(self, tool: str, args: Any) -> float | None:
        return None


class _EchoArgs(BaseModel):
    pidm: int | None = None
    term: str
    crn: str


_BENCH_EVENT = AuditEvent(
    actor="bench",
    role="advisor",
    tool="bench_echo",
    arguments={"pidm": "<PIDM_1>", "term": "202610", "crn": "10001"},
    decision="allow",
    outcome="ok",
    latency_ms=0.1,
)


def _echo(pidm: int | None, term: str, crn: str) -> dict[str, Any]:
    return {"pidm": pidm, "term": term, "crn": crn, "grade": "A"}


def _policy() -> Policy:
    traits = ToolTraits(
        "bench_echo", False, Approval.NEVER, student_arg="pidm", section_args=("term", "crn")
    )
    grants = {"advisor": {"grants": [{"tool": "bench_echo", "scope": "advisees"}]}}
    data = PolicyFile.model_validate(
        {"version": 1, "roles": grants}, context={"tools": {"bench_echo": traits}}
    )
    return Policy("bench", data, {"bench_echo": traits})


def guard_overhead(calls: int = 2000, warmup: int = 200) -> dict[str, float | int | bool]:
    """Per tool call: p50/p95 ms spent in the guard outside the tool; and audit appends/s.

    Each call is timed around :meth:`Guard.wrap_tool_call` and around the tool's own execution
    inside it; the difference is the guard's overhead (authorize, validate, scope, audit).
    """
    tool = StructuredTool.from_function(
        _echo, name="bench_echo", description="Echo the arguments.", args_schema=_EchoArgs
    )
    overheads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'audit.db'}")
        audit = AuditLog(engine)
        audit.create()
        guard = Guard(_policy(), audit)

        def timed(request: ToolCallRequest, execute: Execute) -> Result:
            inner = 0.0

            def timed_execute(req: ToolCallRequest) -> Result:
                nonlocal inner
                start = time.perf_counter()
                try:
                    return execute(req)
                finally:
                    inner += time.perf_counter() - start

            start = time.perf_counter()
            result = guard.wrap_tool_call(request, timed_execute)
            overheads.append((time.perf_counter() - start - inner) * 1000)
            return result

        graph = StateGraph(MessagesState, context_schema=_Context)
        graph.add_node("tools", ToolNode([tool], wrap_tool_call=timed))
        graph.add_edge(START, "tools")
        app = graph.compile()
        context = _Context(Principal(actor="bench", role=Role.ADVISOR, pidm=1, term="202610"))
        args = {"pidm": 7, "term": "202610", "crn": "10001"}
        for i in range(warmup + calls):
            call = {"name": "bench_echo", "args": args, "id": f"c{i}"}
            app.invoke({"messages": [AIMessage("", tool_calls=[call])]}, context=context)
        measured = sorted(overheads[warmup:])
        started = time.perf_counter()
        appends = 500
        for _ in range(appends):
            audit.append(_BENCH_EVENT)
        appends_per_s = appends / (time.perf_counter() - started)
        intact = audit.verify().ok
        engine.dispose()
    return {
        "guard_overhead_p50_ms": round(statistics.median(measured), 3),
        "guard_overhead_p95_ms": round(measured[int(0.95 * len(measured)) - 1], 3),
        "guard_calls": calls,
        "audit_appends_per_s": round(appends_per_s, 1),
        "audit_chain_intact": intact,
    }
