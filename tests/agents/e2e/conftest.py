"""A seeded Banner term, a Canvas simulator with the term's people, and the router wired to both.

Everything runs through the real guard, policy, redactor (patterns, no NER) and audit log; the
Canvas simulator is reached over HTTP by the real tools. Facts the tests assert are read from
Banner with plain SQL and from Canvas with canvasapi, independently of the code under test.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from canvasapi import Canvas
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, insert, text

from agents.deps import GraphDeps, ProvisioningConfig
from agents.events import parse_event
from agents.graph import Router, build_router
from agents.run import resume, run_event
from agents.state import Outcome
from agents.toolbox import ToolContext, load_default_policy
from core.db import make_engine
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import Redactor
from policies.pii.spriden import load_directory
from policies.rbac import Principal
from policies.rollout_gate import RolloutGate
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from sandbox.banner.validation import stamp
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tools.banner.schema import ssrxlst
from tools.canvas.client import CanvasClient
from tools.canvas.models import SisImportSpec, SisUserRow
from tools.canvas.sis_imports import run_sis_import

TERM = "202610"
TODAY = date(2025, 9, 15)
CENSUS = date(2025, 9, 5)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("banner")) / "banner.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_banner(engine, SeedPlan(students=300, sections=40, term=TERM, seed=11))
    crosslist_two_sections(engine)
    engine.dispose()
    return path


def crosslist_two_sections(engine: Engine) -> None:
    """A term this small gets no SSRXLST group from the generator: make one (group 'XA')."""
    with engine.begin() as conn:
        crns: list[str] = list(conn.execute(
            text(
                "SELECT ssbsect_crn FROM ssbsect WHERE ssbsect_term_code = :t"
                " AND ssbsect_ssts_code = 'A' AND ssbsect_ptrm_start_date <= :d"
                " ORDER BY ssbsect_crn LIMIT 2"
            ),
            {"t": TERM, "d": TODAY},
        ).scalars())
        assert len(crns) == 2, "the seeded term should have two active sections to cross-list"
        conn.execute(
            insert(ssrxlst),
            [
                {"ssrxlst_term_code": TERM, "ssrxlst_crn": crn, "ssrxlst_xlst_group": "XA",
                 **stamp(ssrxlst, datetime(2025, 8, 1))}
                for crn in crns
            ],
        )  # fmt: skip


@pytest.fixture
def banner(seeded: Path, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the seeded term (tests change registrations)."""
    target = tmp_path / "banner.db"
    source = sqlite3.connect(seeded)
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redactor(seeded: Path) -> Redactor:
    return Redactor(load_directory(f"sqlite:///{seeded}"), use_ner=False)


def people(banner: Engine) -> list[tuple[int, str]]:
    with banner.connect() as conn:
        rows = conn.execute(
            text("SELECT spriden_pidm, spriden_id FROM spriden WHERE spriden_change_ind IS NULL")
        ).all()
    return [(int(row[0]), str(row[1])) for row in rows]


def add_canvas_users(client: CanvasClient, banner_ids: list[str]) -> None:
    rows = [SisUserRow(user_id=b, login_id=b.lower(), full_name=f"User {b}") for b in banner_ids]
    assert run_sis_import(client, SisImportSpec(users=rows)).succeeded


@dataclass
class World:
    """The system under test and the handles the tests look through."""

    banner: Engine
    sim: SimulatorHandle
    client: CanvasClient
    canvas: Canvas
    deps: GraphDeps
    audit: AuditLog
    redactor: Redactor
    checkpointer: InMemorySaver
    graph: Router

    def context(self, principal: Principal) -> ToolContext:
        return ToolContext(
            principal=principal,
            banner=self.banner,
            redactor=self.redactor,
            canvas=self.client,
            today=TODAY,
            provisioning=self.deps.provisioning,
        )

    def handle(self, **event: Any) -> Outcome:
        event.setdefault("occurred_at", "2025-09-15T10:00:00Z")
        return run_event(
            parse_event(event), self.deps, self.checkpointer, self.context, graph=self.graph
        ).outcome

    def resume(self, event_id: str, answer: Any) -> Outcome:
        return resume(
            event_id, answer, self.deps, self.checkpointer, self.context, graph=self.graph
        )

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.banner.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


def make_world(
    banner: Engine,
    sim: SimulatorHandle,
    tmp_path: Path,
    redactor: Redactor,
    rollout: RolloutGate | None = None,
    **config: Any,
) -> World:
    client = CanvasClient(sim.base_url, sim.token)
    audit = AuditLog(make_engine(f"sqlite:///{tmp_path}/app.db"))
    audit.create()
    guard = Guard(load_default_policy(), audit, rollout=rollout)
    provisioning = ProvisioningConfig(census_dates={TERM: CENSUS}, **config)
    deps = GraphDeps(guard=guard, provisioning=provisioning, today=lambda: TODAY)
    saver = InMemorySaver()
    return World(
        banner=banner,
        sim=sim,
        client=client,
        canvas=Canvas(sim.base_url, sim.token),
        deps=deps,
        audit=audit,
        redactor=redactor,
        checkpointer=saver,
        graph=build_router(deps, saver),
    )


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    with running_simulator(tmp_path / "canvas.db") as handle:
        yield handle


@pytest.fixture
def world(banner: Engine, sim: SimulatorHandle, tmp_path: Path, redactor: Redactor) -> World:
    """The router over the seeded term; every Banner person has a Canvas account."""
    made = make_world(banner, sim, tmp_path, redactor)
    add_canvas_users(made.client, [b for _, b in people(banner)])
    return made
