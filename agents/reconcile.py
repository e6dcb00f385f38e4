"""``bca reconcile``: the whole-term reconciliation as a ``scheduled.reconcile_term`` run.

The command does not plan or apply anything itself: it builds the same router, guard, policy and
checkpointer the worker uses and sends one event through them, so a reconciliation started by
hand is authorized, audited and paused for a registrar exactly like the nightly one. A dry run
(the default) stops after ``canvas_plan_roster``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from agents.checkpoints import open_checkpointer
from agents.deps import GraphDeps
from agents.events import ReconcileTerm
from agents.run import handle_event
from agents.state import Outcome
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii.redactor import Redactor
from policies.rbac import Principal
from runtime.db import make_engine
from runtime.settings import Settings
from tools.canvas.client import CanvasClient
from tools.registry import ToolContext, load_default_policy


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
    """Reconcile ``term`` (a dry run unless ``apply``) against the configured Banner and Canvas."""
    banner = make_engine(settings.banner_url)
    audit = AuditLog(make_engine(settings.database_url))
    audit.create()
    deps = GraphDeps.from_settings(settings, Guard(load_default_policy(), audit))
    client = CanvasClient.from_settings(settings)
    redactor = Redactor.from_settings(settings)
    now = datetime.now(UTC)
    event = ReconcileTerm(
        event_id=f"cli-reconcile-{term}-{now:%Y%m%dT%H%M%S%f}",
        occurred_at=now,
        term_code=term,
        apply=apply,
    )

    def context(principal: Principal) -> ToolContext:
        return ToolContext(
            principal=principal,
            banner=banner,
            redactor=redactor,
            canvas=client,
            provisioning=deps.provisioning,
        )

    started = time.perf_counter()
    try:
        with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
            outcome = handle_event(event, deps, saver, context)
        return ReconcileRun(
            event_id=event.event_id,
            outcome=outcome,
            canvas_requests=client.stats().requests,
            seconds=time.perf_counter() - started,
        )
    finally:
        client.close()
        banner.dispose()
