"""An app around a seeded Banner sandbox and a real LangGraph graph paused on approvals.

The graph is the smallest one that behaves like the agents' graphs at the approval step: one
thread per request, a node that calls ``interrupt()`` with an :class:`ApprovalRequest` payload
in a real SQLite checkpointer, and on resume records the decision it was given. The requests are
addressed to real advisor relationships (SGRADVR) of the sandbox, so the scope checks the API
makes run against Banner as in production.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Row, text

from agents.checkpoints import open_checkpointer
from app import create_app
from bench.approvals import paused_graph
from core.db import make_engine
from core.settings import Settings
from policies.approvals import (
    ActionRequest,
    ApprovalRequest,
    Approver,
    Requester,
    describe,
    request_id,
)
from policies.audit import AuditEvent, AuditLog
from policies.pii.redactor import Redactor
from policies.rbac import Role
from policies.scope import BannerDirectory
from runtime.api.auth import mint_token
from runtime.api.queue import GraphApprovalQueue
from runtime.intake.canvas import LiveEventsConfig
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from sandbox.serving import serving
from tests.api.chat_support import FakeAgent, chat_service

TERM = "202610"
UNSIGNED_EVENTS = LiveEventsConfig(accept_unsigned=True)
"""These tests post plain Live Events (signing has its own tests in tests/runtime)."""
ON_THIS_HOST = ("127.0.0.1", 50000)
"""Test clients speak from this host, as an operator's browser or Prometheus would."""


@dataclass(frozen=True)
class People:
    """Advisors of the sandbox: ``advisor`` advises ``students``, ``other`` advises ``theirs``."""

    advisor: int
    students: tuple[int, int]
    other: int
    theirs: int


@pytest.fixture(scope="session")
def banner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = Path(tmp_path_factory.mktemp("banner")) / "banner.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_banner(engine, SeedPlan(students=60, sections=12, term=TERM, seed=7))
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def people(banner: Engine) -> People:
    """Two advisors with disjoint advisees, read with plain SQL (not through policies.scope)."""
    with banner.connect() as conn:
        rows: Sequence[Row[int, int]] = conn.execute(
            text(
                "SELECT sgradvr_advr_pidm, sgradvr_pidm FROM sgradvr a WHERE "
                "sgradvr_term_code_eff = (SELECT MAX(sgradvr_term_code_eff) FROM sgradvr b "
                "WHERE b.sgradvr_pidm = a.sgradvr_pidm AND sgradvr_term_code_eff <= :t)"
            ),
            {"t": TERM},
        ).all()
    advisees: dict[int, set[int]] = defaultdict(set)
    advisors: dict[int, set[int]] = defaultdict(set)
    for advisor, student in rows:
        advisees[advisor].add(student)
        advisors[student].add(advisor)
    only_theirs = {
        a: sorted(s for s in students if advisors[s] == {a}) for a, students in advisees.items()
    }
    first, second = sorted(a for a in only_theirs if len(only_theirs[a]) >= 2)[:2]
    return People(
        advisor=first,
        students=(only_theirs[first][0], only_theirs[first][1]),
        other=second,
        theirs=only_theirs[second][0],
    )


build_graph = paused_graph
"""The smallest graph that pauses as the agents do (the approvals benchmark's)."""


DRAFT = "Hi, we noticed you have not logged in to MATH 101 for nine days. Can we help?"


def outreach_request(student: int, n: int, *, created: datetime | None = None) -> ApprovalRequest:
    """An outreach message for ``student``'s advisor, as the alert agent's guard would ask."""
    thread = f"alert-{student}-{n}"
    created = created or datetime.now(UTC)
    args = {"pidm": student, "subject": "Checking in", "body": DRAFT}
    return ApprovalRequest(
        id=request_id(thread, f"call-{n}"),
        action_request=ActionRequest(action="canvas_send_message", args=args),
        description=describe(
            "canvas_send_message",
            {"pidm": "<PIDM_1>", "subject": "Checking in", "body": DRAFT},
            "No activity for 9 days and two missing assignments: risk 0.71.",
            ["requested by agent:alert (role alert)", "approver: student advisor"],
        ),
        approver=Approver.STUDENT_ADVISOR,
        requested_by=Requester(actor="agent:alert", role=Role.ALERT),
        subject={"student": student, "term": TERM, "crn": None},
        thread_id=thread,
        created_at=created,
        expires_at=created + timedelta(hours=72),
    )


@dataclass
class Desk:
    """The paused graph, its checkpointer and the requests it waits on."""

    graph: Any
    checkpointer: Any
    requests: list[ApprovalRequest]

    def state(self, request: ApprovalRequest) -> dict[str, Any]:
        config = {"configurable": {"thread_id": request.thread_id}}
        values: dict[str, Any] = self.graph.get_state(config).values
        return values


@pytest.fixture
def settings(tmp_path: Path, banner: Engine) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path}/app.db",
        banner_url=str(banner.url),
        checkpoint_url=str(tmp_path / "checkpoints.db"),
        auth_secret="test-secret-of-at-least-32-bytes-long!",
    )


@pytest.fixture
def desk(settings: Settings, people: People) -> Iterator[Desk]:
    """Three requests paused in a real checkpointer: two for ``advisor``, one for ``other``."""
    audit = AuditLog(make_engine(settings.database_url))
    audit.create()
    with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
        graph = build_graph(saver)
        requests = [
            outreach_request(people.students[0], 1),
            outreach_request(people.students[1], 2),
            outreach_request(people.theirs, 3),
        ]
        for request in requests:
            config = {"configurable": {"thread_id": request.thread_id}}
            graph.invoke({"request": request.model_dump(mode="json")}, config)
            audit.append(
                AuditEvent(
                    actor="agent:alert",
                    role="alert",
                    tool=request.action_request.action,
                    arguments={"pidm": "<PIDM_1>", "body": DRAFT},
                    decision="needs-approval",
                    outcome="awaiting approval",
                    thread_id=request.thread_id,
                    approval_id=request.id,
                    reasoning="No activity for 9 days and two missing assignments: risk 0.71.",
                )
            )
        yield Desk(graph, saver, requests)


@pytest.fixture
def app(settings: Settings, desk: Desk, banner: Engine) -> FastAPI:
    queue = GraphApprovalQueue(desk.graph, desk.checkpointer, BannerDirectory(banner))
    return create_app(
        settings, approval_queue=lambda _s: nullcontext(queue), live_events=UNSIGNED_EVENTS
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, client=ON_THIS_HOST) as test_client:
        yield test_client


@pytest.fixture
def token(settings: Settings):
    def mint(role: Role, subject: int | str, **extra: Any) -> dict[str, str]:
        minted = mint_token(settings, role=role, subject=str(subject), term=TERM, **extra)
        return {"Authorization": f"Bearer {minted}"}

    return mint


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app, "api") as base:
        httpx.get(f"{base}/health", timeout=10)
        yield base


# -- the support chat: a scripted agent inside the real chat service ---------------------------


@pytest.fixture(scope="session")
def redactor(banner: Engine) -> Redactor:
    """The real redactor over the sandbox's SPRIDEN names (built once: spaCy is slow to load)."""
    return Redactor.from_settings(Settings(banner_url=str(banner.url)))


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


@pytest.fixture
def chat_app(
    settings: Settings, desk: Desk, banner: Engine, agent: FakeAgent, redactor: Redactor
) -> FastAPI:
    queue = GraphApprovalQueue(desk.graph, desk.checkpointer, BannerDirectory(banner))
    return create_app(
        settings,
        approval_queue=lambda _s: nullcontext(queue),
        chat_service=lambda s: chat_service(s, agent, redactor, TERM),
    )


@pytest.fixture
def chat_client(chat_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(chat_app, client=ON_THIS_HOST) as test_client:
        yield test_client


@pytest.fixture
def chat_server(chat_app: FastAPI) -> Iterator[str]:
    with serving(chat_app, "api") as base:
        httpx.get(f"{base}/health", timeout=10)
        yield base


@pytest.fixture
def served_schema(chat_app: FastAPI) -> Iterator[Any]:
    """The OpenAPI schema of the app served over HTTP (with its chat service), for schemathesis."""
    import schemathesis

    with serving(chat_app, "api") as base:
        yield schemathesis.openapi.from_url(f"{base}/openapi.json")


@pytest.fixture
def fuzz_headers(token, people: People) -> Callable[[str], dict[str, str]]:
    """Headers per route: a student's token for the chat, the advisor's for the approvals (the
    desk's requests wait for them), a registrar's (the widest staff authority) elsewhere, so
    requests reach each route's own checks, not only sign-in."""

    def headers(path: str) -> dict[str, str]:
        if path.startswith("/api/chat"):
            return token(Role.STUDENT, people.students[0])
        if path.startswith("/api/approvals"):
            return token(Role.ADVISOR, people.advisor)
        return token(Role.REGISTRAR, "registrar")

    return headers
