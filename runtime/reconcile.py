"""``bca reconcile``: the whole-term reconciliation as a ``scheduled.reconcile_term`` run.

The command does not plan or apply anything itself: it sends one event through the worker's own
handler (the same router, guard, policy, checkpointer and ledger), so a reconciliation started by
hand is authorized, audited and paused for a registrar exactly like the nightly one. A dry run
(the default) stops after ``canvas_plan_roster``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from agents.events import ReconcileTerm
from agents.state import Outcome
from core.clock import utcnow
from core.settings import Settings
from runtime.pipeline import AgentHandler


@dataclass(frozen=True)
class ReconcileRun:
    """A reconciliation's outcome with what it cost."""

    event_id: str
    outcome: Outcome
    canvas_requests: int
    seconds: float

    def figures(self) -> dict[str, object]:
        """One flat JSON object: status, detail, the plan/apply figures, the cost."""
        return {
            "event_id": self.event_id,
            "status": self.outcome.status,
            "detail": self.outcome.detail,
            **self.outcome.figures,
            "canvas_requests": self.canvas_requests,
            "seconds": round(self.seconds, 3),
        }


def reconcile_term(settings: Settings, term: str, *, apply: bool) -> ReconcileRun:
    """Reconcile ``term`` (a dry run unless ``apply``) against the configured Banner and Canvas.

    Runs through the worker's own handler (:class:`runtime.pipeline.AgentHandler`), so the run is
    recorded in the ledger and, when it waits for a registrar, listed in the approval queue.
    """
    now = utcnow()
    event = ReconcileTerm(
        event_id=f"cli-reconcile-{term}-{now:%Y%m%dT%H%M%S%f}",
        occurred_at=now,
        term_code=term,
        apply=apply,
    )
    handler = AgentHandler.from_settings(settings)
    started = time.perf_counter()
    try:
        outcome = handler.run(event).outcome
        return ReconcileRun(
            event_id=event.event_id,
            outcome=outcome,
            canvas_requests=handler.pipeline.canvas.stats().requests,
            seconds=time.perf_counter() - started,
        )
    finally:
        handler.close()
