"""Benchmark of the approval list (issue 18): ``GET /api/approvals`` with 50,000 requests waiting.

The index of waiting requests (the run ledger's ``pending_approvals``) is filled in bulk with
``--requests`` synthetic requests over a seeded Banner sandbox: outreach for advisors (about
their advisees), final grades for instructors of record (their sections), holds for the
registrar, mostly asked by agents, a few by people (separation of duties must hide those from
the asker), spread over the term and the one before. A few more come from real LangGraph runs
paused on ``interrupt()`` in the SQLite checkpointer and recorded as the worker records them, so
the list is proven against real requests: each must be listed for its approver and open from
the list (the detail reads its thread's checkpoint).

Then ``GET /api/approvals`` (first page, the default 100) through the real app in a TestClient
for the busiest advisor, the busiest instructor and the registrar, ``--samples`` times each
after a warm-up; target p95 < 100 ms each. The embedded SQLite default, or PostgreSQL with
``--database-url`` (the run ledger's tables there are dropped first: give it a schema of its
own, e.g. ``?options=-csearch_path%3Dbench``). Human lines go to stderr;
stdout is one JSON object with the figures, the targets and whether they were met (exit 0
either way, as for the other benchmarks).

    .venv/bin/python -m bench.approvals [--requests 50000] [--samples 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

from fastapi.testclient import TestClient
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt
from sqlalchemy import Engine, insert, text

from agents.approvals import PendingApproval
from agents.checkpoints import open_checkpointer
from app import create_app
from core.db import make_engine
from core.settings import Settings
from policies.approvals import ActionRequest, ApprovalRequest, Approver, Requester, request_id
from policies.rbac import Role
from policies.scope import BannerDirectory
from runtime.api.auth import mint_token
from runtime.approval_index import ApprovalIndex
from runtime.demo import ensure_banner
from runtime.ledger import metadata, pending_approvals, request_row
from runtime.pipeline import Pipeline, VaultedApprovalQueue

TARGET_P95_MS = 100.0
REAL_RUNS = 6
TOOLS = {
    Approver.STUDENT_ADVISOR: ("canvas_send_message", "agent:alert", Role.ALERT),
    Approver.INSTRUCTOR_OF_RECORD: ("banner_post_grade", "agent:grade", Role.GRADE),
    Approver.REGISTRAR: ("banner_place_hold", "agent:roster", Role.ROSTER),
}
MIX = ((Approver.STUDENT_ADVISOR, 0.55), (Approver.INSTRUCTOR_OF_RECORD, 0.30))
"""Shares of the requests by approver; the rest are the registrar's."""


def say(line: str) -> None:
    """A human line, on stderr."""
    print(line, file=sys.stderr, flush=True)


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank), in the values' unit, rounded to 0.1."""
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


@dataclass(frozen=True)
class Sandbox:
    """Who relates to whom in the seeded Banner (read with plain SQL, not policies.scope)."""

    terms: tuple[str, ...]
    advising: list[tuple[str, int, int]]
    """(term, advisor, student) effective in that term."""
    sections: list[tuple[str, str, int]]
    """(term, CRN, instructor of record)."""
    students: list[int]

    @classmethod
    def read(cls, banner: Engine, term: str) -> Sandbox:
        """The relationships of ``term`` and the term before it."""
        with banner.connect() as conn:
            terms: tuple[str, ...] = tuple(
                conn.execute(
                    text("SELECT stvterm_code FROM stvterm WHERE stvterm_code <= :t"
                         " ORDER BY stvterm_code DESC LIMIT 2"), {"t": term}
                ).scalars()
            )  # fmt: skip
            advising = [
                (t, int(row[0]), int(row[1]))
                for t in terms
                for row in conn.execute(
                    text("SELECT sgradvr_advr_pidm, sgradvr_pidm FROM sgradvr a WHERE"
                         " sgradvr_term_code_eff = (SELECT MAX(sgradvr_term_code_eff) FROM"
                         " sgradvr b WHERE b.sgradvr_pidm = a.sgradvr_pidm AND"
                         " b.sgradvr_term_code_eff <= :t)"), {"t": t}
                )
            ]  # fmt: skip
            sections = [
                (str(row[0]), str(row[1]), int(row[2]))
                for row in conn.execute(
                    text("SELECT sirasgn_term_code, sirasgn_crn, sirasgn_pidm FROM sirasgn"
                         " WHERE sirasgn_primary_ind = 'Y' AND sirasgn_term_code IN (:a, :b)"),
                    {"a": terms[0], "b": terms[-1]},
                )
            ]  # fmt: skip
            students = sorted({s for _t, _a, s in advising})
        return cls(terms, advising, sections, students)


def request_for(
    approver: Approver,
    subject: dict[str, str | int | None],
    n: int,
    created: datetime,
    *,
    asked_by: Requester | None = None,
) -> ApprovalRequest:
    """A request as the guard would ask it: the tool of its approver, about ``subject``."""
    tool, actor, role = TOOLS[approver]
    thread = f"bench-{approver.value}-{n}"
    args = {"pidm": subject.get("student"), "term": subject.get("term"), "crn": subject.get("crn")}
    return ApprovalRequest(
        id=request_id(thread, f"call-{n}"),
        action_request=ActionRequest(action=tool, args=args),
        description=f"### `{tool}` needs your approval\n\nRequest {n} of the benchmark.",
        approver=approver,
        requested_by=asked_by or Requester(actor=actor, role=role),
        subject=subject,
        thread_id=thread,
        created_at=created,
        expires_at=created + timedelta(hours=72),
    )


def synthetic(sandbox: Sandbox, count: int, *, seed: int = 18) -> list[PendingApproval]:
    """``count`` waiting requests over the sandbox's real relationships (deterministic).

    One in fifty is asked by a person (an advisor for an advisee, an instructor for a section)
    rather than an agent, so separation of duties has something to hide; created times are a
    second apart with ties, so pages must break ties by request id.
    """
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 8, tzinfo=UTC)
    found = []
    for n in range(count):
        draw = rng.random()
        created = start + timedelta(seconds=n // 3)
        asked_by = None
        subject: dict[str, str | int | None]
        if draw < MIX[0][1]:
            term, advisor, student = rng.choice(sandbox.advising)
            approver, subject = Approver.STUDENT_ADVISOR, {"student": student, "term": term}
            if n % 50 == 0:
                asked_by = Requester(actor=f"person:{advisor}", role=Role.ADVISOR, pidm=advisor)
        elif draw < MIX[0][1] + MIX[1][1]:
            term, crn, instructor = rng.choice(sandbox.sections)
            student = rng.choice(sandbox.students)
            approver = Approver.INSTRUCTOR_OF_RECORD
            subject = {"student": student, "term": term, "crn": crn}
            if n % 50 == 0:
                asked_by = Requester(
                    actor=f"person:{instructor}", role=Role.INSTRUCTOR, pidm=instructor
                )
        else:
            approver = Approver.REGISTRAR
            subject = {"student": rng.choice(sandbox.students), "term": rng.choice(sandbox.terms)}
        request = request_for(approver, subject, n, created, asked_by=asked_by)
        assert request.thread_id is not None
        found.append(
            PendingApproval(thread_id=request.thread_id, interrupt_id=f"i{n}", request=request)
        )
    return found


def fill(engine: Engine, pending: Sequence[PendingApproval], batch: int = 5000) -> None:
    """Bulk rows of ``pending_approvals`` (the table paused runs are recorded into)."""
    with engine.begin() as conn:
        for at in range(0, len(pending), batch):
            conn.execute(
                insert(pending_approvals), [request_row(p) for p in pending[at : at + batch]]
            )


class _State(TypedDict, total=False):
    request: dict[str, Any]
    decision: dict[str, Any]


def _ask(state: _State) -> _State:
    return {"decision": interrupt(state["request"])}


def paused_graph(checkpointer: Any) -> Any:
    """The smallest graph that pauses as the agents do: one node, ``interrupt()`` on a request."""
    graph = StateGraph(_State)
    graph.add_node("ask", _ask)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    return graph.compile(checkpointer=checkpointer)


def real_runs(
    graph: Any, pipeline: Pipeline, sandbox: Sandbox, count: int
) -> list[ApprovalRequest]:
    """``count`` runs paused on a request, recorded into the index as the worker records them."""
    made = []
    now = datetime.now(UTC)
    for n in range(count):
        term, _advisor, student = sandbox.advising[n * 7 % len(sandbox.advising)]
        request = request_for(
            Approver.STUDENT_ADVISOR, {"student": student, "term": term}, 10**7 + n, now
        )
        config = {"configurable": {"thread_id": request.thread_id}}
        result = graph.invoke({"request": request.model_dump(mode="json")}, config)
        assert request.thread_id is not None and result.get("__interrupt__")
        pipeline.record(request.thread_id, result)
        made.append(request)
    return made


def busiest(pending: Sequence[PendingApproval], sandbox: Sandbox) -> tuple[int, int]:
    """The advisor and the instructor of record with the most waiting requests."""
    advisors = {(t, s): a for t, a, s in sandbox.advising}
    instructors = {(t, c): p for t, c, p in sandbox.sections}
    counts: Counter[tuple[Approver, int]] = Counter()
    for p in pending:
        subject = p.request.subject
        if p.request.approver is Approver.STUDENT_ADVISOR:
            counts[
                (
                    Approver.STUDENT_ADVISOR,
                    advisors[(str(subject["term"]), int(subject["student"] or 0))],
                )
            ] += 1
        elif p.request.approver is Approver.INSTRUCTOR_OF_RECORD:
            counts[
                (
                    Approver.INSTRUCTOR_OF_RECORD,
                    instructors[(str(subject["term"]), str(subject["crn"]))],
                )
            ] += 1
    top = {
        kind: max((n, who) for (k, who), n in counts.items() if k is kind)[1]
        for kind in (Approver.STUDENT_ADVISOR, Approver.INSTRUCTOR_OF_RECORD)
    }
    return top[Approver.STUDENT_ADVISOR], top[Approver.INSTRUCTOR_OF_RECORD]


@contextmanager
def deployment(var: Path, database_url: str | None) -> Iterator[Settings]:
    """A throwaway embedded deployment; the app database on ``database_url`` if given."""
    settings = Settings.embedded_in(var)
    if database_url:
        settings.database_url = database_url
        engine = make_engine(database_url)
        metadata.drop_all(engine)
        engine.dispose()
    yield settings


def timed(client: TestClient, headers: dict[str, str], samples: int) -> tuple[list[float], int]:
    """``samples`` first-page listings after a warm-up; (milliseconds each, requests listed)."""
    listed = 0
    for _ in range(5):
        answer = client.get("/api/approvals", headers=headers)
        assert answer.status_code == 200, answer.text
        listed = len(answer.json())
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        answer = client.get("/api/approvals", headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.text
    return times, listed


def walk(client: TestClient, headers: dict[str, str], limit: int) -> list[str]:
    """Every request the caller may decide, page after page through the ``Link`` header."""
    seen: list[str] = []
    url: str | None = f"/api/approvals?limit={limit}"
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        seen += [item["id"] for item in answer.json()]
        link = answer.links.get("next")
        url = link["url"] if link else None
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50_000, help="waiting requests indexed")
    parser.add_argument("--samples", type=int, default=200, help="timed listings per caller")
    parser.add_argument("--students", type=int, default=2000, help="students in the seeded Banner")
    parser.add_argument("--database-url", default=None, help="app database (default: SQLite)")
    args = parser.parse_args()
    figures: dict[str, Any] = {"cores": os.cpu_count(), "load_1m_before": os.getloadavg()[0]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        deployment(Path(tmp) / "var", args.database_url) as settings,
    ):
        banner, term = ensure_banner(
            settings, students=args.students, sections=max(12, args.students // 16)
        )
        sandbox = Sandbox.read(banner, term)
        banner.dispose()
        pipeline = Pipeline.from_settings(settings)
        figures["database"] = pipeline.app_engine.dialect.name
        pending = synthetic(sandbox, args.requests)
        started = time.perf_counter()
        fill(pipeline.app_engine, pending)
        figures["fill_s"] = round(time.perf_counter() - started, 2)
        say(f"{len(pending)} requests indexed in {figures['fill_s']} s ({figures['database']}),"
            f" {len(sandbox.advising)} advising rows,"
            f" {len(sandbox.sections)} sections of record")  # fmt: skip
        advisor, instructor = busiest(pending, sandbox)
        with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
            graph = paused_graph(saver)
            real = real_runs(graph, pipeline, sandbox, REAL_RUNS)
            queue = VaultedApprovalQueue(
                graph, saver, BannerDirectory(pipeline.banner),
                index=ApprovalIndex(pipeline.app_engine), pipeline=pipeline,
            )  # fmt: skip
            figures |= measure(settings, queue, real, sandbox, advisor, instructor, args.samples)
        pipeline.dispose()
    figures["requests"] = args.requests + REAL_RUNS
    targets = {
        f"{who}_p95_ms < {TARGET_P95_MS:g}": figures[f"{who}_p95_ms"] < TARGET_P95_MS
        for who in ("advisor", "instructor", "registrar")
    }
    figures |= {"load_1m_after": os.getloadavg()[0], "targets": targets}
    figures["targets_met"] = all(targets.values()) and figures["real_requests_listed"]
    print(json.dumps(figures, sort_keys=True))


def measure(
    settings: Settings,
    queue: VaultedApprovalQueue,
    real: Sequence[ApprovalRequest],
    sandbox: Sandbox,
    advisor: int,
    instructor: int,
    samples: int,
) -> dict[str, Any]:
    """Timings of the first page for each caller, and the real requests checked in the list."""
    figures: dict[str, Any] = {}
    advisors = {(t, s): a for t, a, s in sandbox.advising}

    def headers(role: Role, who: int | str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(settings, role=role, subject=str(who))}"}

    app = create_app(settings, approval_queue=lambda _s: nullcontext(queue))
    with TestClient(app) as client:
        listed_real = True
        for request in real:
            mine = headers(
                Role.ADVISOR,
                advisors[(str(request.subject["term"]), int(request.subject["student"] or 0))],
            )
            ids = walk(client, mine, 500)
            opened = client.get(f"/api/approvals/{request.id}", headers=mine)
            listed_real &= (
                request.id in ids and len(ids) == len(set(ids)) and opened.status_code == 200
            )
        figures["real_requests_listed"] = listed_real
        say(f"{len(real)} requests from paused graphs, listed and opened by their advisor:"
            f" {listed_real}")  # fmt: skip
        for who, role, subject in (
            ("advisor", Role.ADVISOR, advisor),
            ("instructor", Role.INSTRUCTOR, instructor),
            ("registrar", Role.REGISTRAR, "registrar"),
        ):
            times, listed = timed(client, headers(role, subject), samples)
            figures |= {
                f"{who}_p50_ms": pct(times, 0.5),
                f"{who}_p95_ms": pct(times, 0.95),
                f"{who}_first_page": listed,
                f"{who}_mean_ms": round(statistics.fmean(times), 1),
            }
            say(f"{who} {subject}: first page of {listed}, p50 {figures[f'{who}_p50_ms']} ms,"
                f" p95 {figures[f'{who}_p95_ms']} ms over {samples}"
                f" (target p95 < {TARGET_P95_MS:g})")  # fmt: skip
    return figures


if __name__ == "__main__":
    main()
