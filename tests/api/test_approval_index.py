"""The index of waiting requests: its SQL reach agrees with the approval rule, pages walk every
request once, a stale row is refused honestly, and the benchmark runs end to end.

Requests are the benchmark's synthetic ones over the sandbox's real advising and teaching
(with some asked by the approver themselves, on their behalf, or about their own record), in
the ledger's ``pending_approvals`` on SQLite and on PostgreSQL. The rule's verdict is
:func:`agents.approvals.refusal_for` against Banner, one request at a time, as before the index.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from agents.approvals import PendingApproval, decided_by, refusal_for
from agents.checkpoints import open_checkpointer
from app import create_app
from bench.approvals import Sandbox, fill, request_for, synthetic
from core.db import make_engine
from core.settings import Settings
from policies.approvals import Approver, Requester, approver_of_role, reach_of
from policies.rbac import Principal, Role
from policies.scope import BannerDirectory
from runtime.api import dashboard
from runtime.api.queue import GraphApprovalQueue
from runtime.approval_index import ApprovalIndex, PageKey
from runtime.ledger import RunLedger
from tests.api.conftest import TERM, build_graph
from tests.api.test_chat_pages import signed_in


@pytest.fixture(params=["sqlite", "postgresql"])
def app_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/index.db"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def sandbox(banner: Engine) -> Sandbox:
    return Sandbox.read(banner, TERM)


def _awkward(sandbox: Sandbox) -> list[PendingApproval]:
    """Requests the rule refuses for separation of duties, though the subject is the approver's."""
    term, advisor, student = sandbox.advising[0]
    _term, crn, instructor = next(s for s in sandbox.sections if s[0] == TERM)
    cases: list[tuple[Approver, dict[str, str | int | None], Requester | None]] = [
        (Approver.STUDENT_ADVISOR, {"student": student, "term": term},
         Requester(actor="agent:alert", role=Role.ALERT, on_behalf_of=advisor)),
        (Approver.STUDENT_ADVISOR, {"student": advisor, "term": term}, None),
        (Approver.INSTRUCTOR_OF_RECORD, {"student": instructor, "term": TERM, "crn": crn}, None),
        (Approver.INSTRUCTOR_OF_RECORD, {"student": student, "term": TERM, "crn": crn},
         Requester(actor=f"person:{instructor}", role=Role.INSTRUCTOR, pidm=instructor)),
        (Approver.INSTRUCTOR_OF_RECORD, {"student": student, "term": TERM, "crn": None}, None),
    ]  # fmt: skip
    made = []
    for n, (approver, subject, asked) in enumerate(cases):
        created = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(seconds=n)
        request = request_for(approver, subject, 900 + n, created, asked_by=asked)
        assert request.thread_id is not None
        made.append(PendingApproval(thread_id=request.thread_id, interrupt_id="x", request=request))
    return made


@pytest.fixture
def indexed(app_url: str, sandbox: Sandbox) -> Iterator[tuple[Engine, list[PendingApproval]]]:
    engine = make_engine(app_url)
    RunLedger(engine).create_schema()
    pending = synthetic(sandbox, 300) + _awkward(sandbox)
    fill(engine, pending)
    yield engine, pending
    engine.dispose()


def _people(sandbox: Sandbox) -> list[Principal]:
    advisors = sorted({a for _t, a, _s in sandbox.advising})[:4]
    instructors = sorted({p for _t, _c, p in sandbox.sections})[:4]
    return [
        *(Principal(actor=f"person:{a}", role=Role.ADVISOR, pidm=a) for a in advisors),
        *(Principal(actor=f"person:{i}", role=Role.INSTRUCTOR, pidm=i) for i in instructors),
        Principal(actor="person:registrar", role=Role.REGISTRAR),
        Principal(actor="person:admin", role=Role.ADMIN),
    ]


def test_the_sql_reach_lists_exactly_what_the_rule_allows(
    indexed: tuple[Engine, list[PendingApproval]], sandbox: Sandbox, banner: Engine
):
    engine, pending = indexed
    index, directory = ApprovalIndex(engine), BannerDirectory(banner)
    allowed_somewhere = refused_somewhere = 0
    for person in _people(sandbox):
        by = decided_by(person)
        rule = {p.request.id for p in pending if refusal_for(p.request, by, directory) is None}
        kind = approver_of_role(by.role)
        reach = reach_of(by, index.terms(kind) if kind else [], directory)
        in_sql = {p.request.id for p in index.page(reach, limit=1000).items} if reach else set()
        assert in_sql == rule, person.actor
        queue = GraphApprovalQueue(None, None, directory, index=index)
        oldest_first = sorted(pending, key=lambda p: (p.request.created_at, p.request.id))
        listed = [p.request.id for p in queue.pending(person)]
        assert listed == [p.request.id for p in oldest_first if p.request.id in rule]
        allowed_somewhere += bool(rule)
        refused_somewhere += any(
            p.request.approver is kind and p.request.id not in rule for p in pending
        )
    assert allowed_somewhere >= 7 and refused_somewhere >= 7
    student = pending[0].request.subject["student"]
    assert [p.request.id for p in index.about(int(student or 0))] == [
        p.request.id
        for p in sorted(pending, key=lambda p: (p.request.created_at, p.request.id))
        if p.request.subject["student"] == student
    ]
    awkward = {p.request.id for p in _awkward(sandbox)}
    _term, advisor, _student = sandbox.advising[0]
    _t, _crn, instructor = next(s for s in sandbox.sections if s[0] == TERM)
    for pidm, role in ((advisor, Role.ADVISOR), (instructor, Role.INSTRUCTOR)):
        person = Principal(actor=f"person:{pidm}", role=role, pidm=pidm)
        assert not awkward & {p.request.id for p in GraphApprovalQueue(
            None, None, directory, index=index).pending(person)}  # fmt: skip


def _walk(client: TestClient, headers: dict[str, str], limit: int) -> tuple[list[str], int]:
    seen: list[str] = []
    pages, url = 0, f"/api/approvals?limit={limit}"
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        pages += 1
        seen += [item["id"] for item in answer.json()]
        link = answer.links.get("next")
        assert (link is None) == ("x-next-cursor" not in answer.headers)
        url = link["url"] if link else ""
    return seen, pages


@pytest.fixture
def client(
    indexed: tuple[Engine, list[PendingApproval]], settings: Settings, banner: Engine
) -> Iterator[TestClient]:
    engine, _pending = indexed
    with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
        queue = GraphApprovalQueue(
            build_graph(saver), saver, BannerDirectory(banner), index=ApprovalIndex(engine)
        )
        app = create_app(settings, approval_queue=lambda _s: nullcontext(queue))
        with TestClient(app) as test_client:
            yield test_client


@pytest.mark.parametrize("app_url", ["sqlite"], indirect=True)
def test_pages_walk_every_request_once_oldest_first(
    client: TestClient,
    indexed: tuple[Engine, list[PendingApproval]],
    sandbox: Sandbox,
    banner: Engine,
    token: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
):
    _engine, pending = indexed
    directory = BannerDirectory(banner)
    order = sorted(pending, key=lambda p: (p.request.created_at, p.request.id))
    advisor = _people(sandbox)[0]
    for person, limit in ((Principal(actor="person:registrar", role=Role.REGISTRAR), 7),
                          (advisor, 2)):  # fmt: skip
        by = decided_by(person)
        expected = [p.request.id for p in order if refusal_for(p.request, by, directory) is None]
        subject = person.pidm if person.pidm is not None else "registrar"
        seen, pages = _walk(client, token(person.role, subject), limit)
        assert seen == expected  # each once, oldest first (ties broken by id)
        assert pages >= len(expected) // limit
    first = client.get("/api/approvals?limit=20", headers=token(Role.REGISTRAR, "r"))
    assert len(first.json()) == 20 and "cursor=" in first.links["next"]["url"]
    registrar = len(_walk(client, token(Role.REGISTRAR, "r"), 500)[0])
    signed_in(client, settings, Role.REGISTRAR, "r")
    page = client.get("/dashboard")
    assert f">{registrar} waiting<" in page.text
    monkeypatch.setattr(dashboard, "QUEUE_PAGE", 10)
    page = client.get("/dashboard")
    assert page.text.count('class="card approval"') == 10 and "The oldest 10 of more" in page.text
    bad = client.get("/api/approvals?cursor=not-ours", headers=token(Role.REGISTRAR, "r"))
    assert bad.status_code == 422
    too_many = client.get("/api/approvals?limit=501", headers=token(Role.REGISTRAR, "r"))
    assert too_many.status_code == 422


@pytest.mark.parametrize("app_url", ["sqlite"], indirect=True)
def test_a_stale_row_is_refused_as_not_waiting_and_leaves_the_index(
    client: TestClient, indexed: tuple[Engine, list[PendingApproval]], token: Any
):
    engine, pending = indexed
    stale = next(p for p in pending if p.request.approver is Approver.REGISTRAR)
    headers = token(Role.REGISTRAR, "registrar")
    assert stale.request.id in {
        i["id"] for i in client.get("/api/approvals", headers=headers).json()
    }
    answer = client.post(
        f"/api/approvals/{stale.request.id}/decision", json={"type": "approve"}, headers=headers
    )
    assert answer.status_code == 404  # no thread waits on it: the checkpoint is the truth
    assert ApprovalIndex(engine).get(stale.request.id) is None
    assert PageKey.decode(PageKey.of(stale).encode()) == PageKey.of(stale)


def test_a_tiny_benchmark_prints_its_figures_and_targets_as_the_last_line():
    run = subprocess.run(
        [sys.executable, "-m", "bench.approvals", "--requests", "400", "--samples", "5",
         "--students", "120"],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["requests"] == 406 and figures["real_requests_listed"] is True
    assert figures["advisor_first_page"] > 0 and figures["instructor_first_page"] > 0
    assert figures["registrar_first_page"] > 0
    assert len(figures["targets"]) == 3 and isinstance(figures["targets_met"], bool)
