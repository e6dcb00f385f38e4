"""The guard's side of rollout controls: which mode a call runs under, and what a shadow keeps.

The guard (:mod:`policies.guard`) asks :meth:`RolloutGate.mode_of` for every call. The workflow
and the section come from the run's context (:class:`RolloutBound`, which the agents' run
context implements from the event and Banner), never from a model's arguments, so no specialist
can talk its way out of a shadow or past a kill switch. A run whose context names no workflow
(an evaluation, a person's own API call) runs ``auto``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from policies.rollout import SHADOWED, Mode, RolloutControl, Target, Workflow
from policies.rollout_log import RolloutLog, ShadowRecord


@runtime_checkable
class RolloutBound(Protocol):
    """What a run context offers the rollout gate (``agents.toolbox.ToolContext`` does)."""

    @property
    def workflow(self) -> Workflow | None:
        """The run's workflow (from its event's kind); None: no rollout applies."""
        ...

    def rollout_target(self) -> Target:
        """The section the run is bound to, from trusted context (may read Banner)."""
        ...

    def preview(self, tool: str, args: Mapping[str, Any]) -> dict[str, int] | None:
        """What a write would do, by action kind, worked out by reads alone (None: unknown)."""
        ...


@dataclass(frozen=True)
class Bound:
    """The rollout facts of one call (``target`` only when a rule needed it)."""

    mode: Mode
    workflow: Workflow | None = None
    target: Target | None = None


AUTO = Bound(Mode.AUTO)
TARGET_KEYS = ("term", "crn", "crns", "pidm", "course_id", "section_id")
"""Arguments that say what a write targets; a shadow record keeps them for the report."""


@dataclass
class RolloutGate:
    """The running rollout configuration and the log shadowed writes go to."""

    control: RolloutControl
    log: RolloutLog | None = None

    def mode_of(self, ctx: object) -> Bound:
        """The mode for a call in the run of ``ctx`` (``auto`` for a run with no workflow)."""
        if not isinstance(ctx, RolloutBound) or ctx.workflow is None:
            return AUTO
        workflow = ctx.workflow
        entry = self.control.current().of(workflow)
        if not entry.rules:  # the default decides: no need to look the section up
            return Bound(entry.default, workflow)
        target = ctx.rollout_target()
        return Bound(entry.decide(target), workflow, target)

    def shadow(
        self,
        ctx: object,
        bound: Bound,
        tool: str,
        args: Mapping[str, Any],
        redacted: dict[str, Any],
        thread_id: str | None,
    ) -> str:
        """Record a write that is not executed; returns the answer the caller reads."""
        assert bound.workflow is not None and isinstance(ctx, RolloutBound)
        target = bound.target or ctx.rollout_target()
        would = ctx.preview(tool, args)
        would_have = would if would is not None else {tool: 1}
        if self.log is not None:
            self.log.shadowed(
                ShadowRecord(
                    workflow=bound.workflow,
                    tool=tool,
                    target=target,
                    keys={k: args[k] for k in TARGET_KEYS if args.get(k) is not None},
                    arguments=redacted,
                    would_have=would_have,
                    thread_id=thread_id,
                )
            )
        summary = ", ".join(f"{kind} {n}" for kind, n in sorted(would_have.items())) or "nothing"
        return (
            f"{SHADOWED}: workflow {bound.workflow.value} runs in shadow here, so {tool} was"
            f" recorded and not executed (it would have done: {summary})"
        )
