"""Benchmark of the agent graphs: per-event overhead, whole-term planning, Canvas requests.

1. **Graph overhead per roster event** (template mode): ``banner.registration.added`` events run
   through the router, the guard (RBAC, redaction, audit) and the roster tool against a seeded
   SQLite Banner and an in-process Canvas simulator; time spent inside Canvas HTTP calls is
   measured separately and subtracted, so the figure is what the graph, guard and Banner add.
2. **Whole-term planning**: :func:`plan_roster`, the mass-drop verdict, figures and channel for a
   synthetic term of 2,000 sections and ~100k registrations against a Canvas snapshot with drift.
3. **Canvas requests**: what ``bca reconcile --apply`` used on the seeded term, versus one request
   per enrollment change.

Human lines first; the last line is one JSON object.

    .venv/bin/python bench/agents.py [--events 60] [--sections 2000] [--registrations 100000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as ``python bench/agents.py``, this file's own name would shadow the agents package.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import text

from agents.deps import GraphDeps, ProvisioningConfig
from agents.events import ReconcileTerm, RegistrationAdded
from agents.graph import build_router
from agents.run import run_event
from agents.toolbox import ToolContext, load_default_policy
from bench.agents_rules import plan_synthetic_term
from core.db import make_engine
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import Redactor
from policies.pii.spriden import load_directory
from policies.rbac import Principal
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from sandbox.canvas.testing import running_simulator
from tools.canvas.client import CanvasClient
from tools.canvas.models import SisImportSpec, SisUserRow
from tools.canvas.sis_imports import run_sis_import

TERM = "202610"
TODAY = date(2025, 9, 15)
CENSUS = date(2025, 9, 5)


class CanvasTimer:
    """Wraps the Canvas session's ``send`` to add up the time spent in Canvas HTTP calls."""

    def __init__(self, client: CanvasClient) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        inner = client.session.send

        def timed(request: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(request, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - started

        client.session.send = timed  # type: ignore[method-assign]


def roster_events(workdir: Path, events: int) -> dict[str, Any]:
    """Seed a term, reconcile it once, then time per-event runs (Canvas time excluded)."""
    banner = make_engine(f"sqlite:///{workdir}/banner.db")
    seed_banner(banner, SeedPlan(students=300, sections=40, term=TERM, seed=11))
    with banner.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT spriden_id FROM spriden"))]
        rows = conn.execute(
            text(
                "SELECT sfrstcr_pidm, sfrstcr_crn FROM sfrstcr JOIN ssbsect ON ssbsect_crn ="
                " sfrstcr_crn AND ssbsect_term_code = :t AND ssbsect_ssts_code = 'A' AND"
                " ssbsect_ptrm_start_date <= '2025-10-15' WHERE sfrstcr_term_code = :t"
            ),
            {"t": TERM},
        ).all()
    audit = AuditLog(make_engine(f"sqlite:///{workdir}/app.db"))
    audit.create()
    config = ProvisioningConfig(census_dates={TERM: CENSUS})
    deps = GraphDeps(Guard(load_default_policy(), audit), config, today=lambda: TODAY)
    redactor = Redactor(load_directory(f"sqlite:///{workdir}/banner.db"), use_ner=False)
    with running_simulator(workdir / "canvas.db") as sim:
        client = CanvasClient(sim.base_url, sim.token)
        users = [SisUserRow(user_id=i, login_id=i.lower()) for i in set(ids)]
        run_sis_import(client, SisImportSpec(users=users))

        def context(principal: Principal) -> ToolContext:
            return ToolContext(principal, banner, redactor, canvas=client, today=TODAY,
                               provisioning=config)  # fmt: skip

        saver = InMemorySaver()
        graph = build_router(deps, saver)
        now = datetime.now(UTC)
        before = client.stats().requests
        reconcile = ReconcileTerm(event_id="bench-reconcile", occurred_at=now, term_code=TERM)
        applied = run_event(reconcile, deps, saver, context, graph=graph).outcome
        reconcile_requests = client.stats().requests - before
        changes = sum(v for k, v in applied.figures.items() if k.startswith("applied_"))
        changes -= applied.figures.get("applied_provision", 0) + applied.figures.get(
            "applied_add_section", 0
        )

        timer = CanvasTimer(client)
        overheads, totals = [], []
        for n, (pidm, crn) in enumerate(random.Random(5).sample(rows, min(events, len(rows)))):
            event = RegistrationAdded(
                event_id=f"bench-{n}", occurred_at=now, term_code=TERM, crn=crn, pidm=pidm
            )
            canvas_before, started = timer.seconds, time.perf_counter()
            run_event(event, deps, saver, context, graph=graph)
            total = time.perf_counter() - started
            totals.append(total * 1000)
            overheads.append((total - (timer.seconds - canvas_before)) * 1000)
        client.close()
    return {
        "roster_event_overhead_ms_p50": round(statistics.median(overheads), 2),
        "roster_event_overhead_ms_p95": round(sorted(overheads)[int(len(overheads) * 0.95)], 2),
        "roster_event_total_ms_p50": round(statistics.median(totals), 2),
        "reconcile_status": applied.status,
        "reconcile_enrollment_changes": changes,
        "reconcile_canvas_requests": reconcile_requests,
        "reconcile_one_request_per_enrollment": changes,
    }


def planning(sections: int, registrations: int) -> dict[str, Any]:
    """Plan a synthetic term (the planner benchmark's: 5% drift, 1% of courses missing)."""
    figures = plan_synthetic_term(sections, registrations)
    return {
        "plan_sections": figures["sections"],
        "plan_registrations": figures["registrations"],
        "plan_seconds": figures["planning_seconds"],
        "plan_actions": figures["actions"],
        "plan_channel": figures["channel"],
        "plan_needs_approval": figures["needs_approval"],
    }


def main() -> None:
    """Run the three measurements and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--sections", type=int, default=2000)
    parser.add_argument("--registrations", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        events = roster_events(Path(tmp), args.events)
    print(
        f"roster event: overhead p50 {events['roster_event_overhead_ms_p50']} ms (target < 25),"
        f" total p50 {events['roster_event_total_ms_p50']} ms"
    )
    print(
        f"reconcile --apply: {events['reconcile_canvas_requests']} Canvas requests for"
        f" {events['reconcile_enrollment_changes']} enrollment changes"
    )
    plan = planning(args.sections, args.registrations)
    print(
        f"planning {plan['plan_sections']} sections / {plan['plan_registrations']} registrations:"
        f" {plan['plan_seconds']} s (target < 30), {plan['plan_actions']} actions"
    )
    print(json.dumps({**events, **plan}, sort_keys=True))


if __name__ == "__main__":
    main()
