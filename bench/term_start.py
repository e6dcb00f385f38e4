"""Benchmark of a term start at full size (issue 15 item 6): the whole term applied from nothing,
then a burst of new registrations through the embedded default and through RabbitMQ.

One sandbox: Banner seeded with ``--students``/``--sections`` and the Canvas simulator in a
process of its own on an empty database (no courses, no users: the apply makes both).

* ``apply``: ``reconcile --apply`` of the whole term (as ``bca reconcile`` runs it), then a
  second dry run, which should plan nothing.
* ``burst-embedded`` / ``burst-rabbitmq``: ``--events`` new registrations are written to Banner
  (SFRSTCR rows of students and sections the term already has), then their events are offered
  to the inbox at ``--rate`` per second, to the embedded default (SQLite, ``bca up``'s worker
  processes) or to ``--workers`` ``bca worker`` processes on RabbitMQ over a PostgreSQL database
  made for the run (``bca_bench``, dropped and made again; never the shared ``test``). Latency
  is stored in the inbox → row done (the enrolment call returned), as in ``bench.pipeline``.

Canvas requests and 429s are counted at the simulator (``GET /sim/requests``), so a fleet's
requests count as well as the bench's own; a 429 is *surfaced* when it reached a caller: an inbox
row's error, a run's outcome or a person exception that names one. CPU seconds of the workers,
the simulator and the bench process itself (the feed and the polling) say where the time went.
The bursts need the term's courses, so without ``apply`` in ``--parts`` the term is still applied
first, untimed. Human lines first; the last line is one JSON object with every figure and goal.

    .venv/bin/python -m bench.term_start [--students 30000] [--sections 2000] [--events 100000]
        [--rate 500] [--workers 4] [--parts apply,burst-embedded,burst-rabbitmq]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from agents.events import Event, RegistrationAdded, SectionCreated
from bench.pipeline import BROKER_URL, cpu_seconds, latencies, paced, simulator_process
from core.clock import utcnow
from core.db import make_engine
from core.settings import Settings
from runtime.demo import ensure_banner
from runtime.inbox import Inbox, inbox_events
from runtime.ledger import person_exceptions, run_outcomes
from runtime.loadgen import WorkerFleet
from runtime.pipeline import AgentHandler
from runtime.reconcile import reconcile_term
from runtime.worker import EmbeddedWorkers
from sandbox.banner.validation import stamp
from tools.banner.schema import sfrstcr

PG_SERVER_URL = os.environ.get(
    "BCA_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
"""The PostgreSQL server's maintenance database, where the run's own database is made."""
LEASE_SECONDS = 7200.0
"""A dispatcher claims the whole backlog at once: its lease must outlast the drain, or every
event still queued when it runs out is dispatched again (and charged an attempt)."""
THROTTLED = "%(429)%"
"""A 429 as it reads once it reaches a caller ("Canvas throttled ... (429)")."""
FULL_SIZE = {"students": 30_000, "sections": 2_000, "events": 100_000, "rate": 500.0}
HELD = "SELECT sfrstcr_pidm, sfrstcr_crn FROM sfrstcr WHERE sfrstcr_term_code = :t"
LEVELS = (
    "SELECT sfrstcr_pidm, MAX(sfrstcr_levl_code) FROM sfrstcr WHERE sfrstcr_term_code = :t"
    " GROUP BY sfrstcr_pidm ORDER BY sfrstcr_pidm"
)
CREDITS = (
    "SELECT r.sfrstcr_crn, MAX(r.sfrstcr_credit_hr) FROM sfrstcr r JOIN ssbsect s"
    " ON s.ssbsect_term_code = r.sfrstcr_term_code AND s.ssbsect_crn = r.sfrstcr_crn"
    " WHERE r.sfrstcr_term_code = :t AND s.ssbsect_ssts_code = 'A'"
    " GROUP BY r.sfrstcr_crn ORDER BY r.sfrstcr_crn"
)
"""Who and what a burst registers: the term's students (with their level), its active
sections (with their credit hours), and the pairs already held."""


@dataclass(frozen=True)
class Canvas:
    """The simulator as the benchmark measures it: counters, CPU, enrolments in its database."""

    base_url: str
    token: str
    db: Path
    pid: int

    def answers(self) -> dict[str, Any]:
        """``/api/`` requests answered so far, 429s among them (``GET /sim/requests``)."""
        answer = httpx.get(
            f"{self.base_url}/sim/requests", headers={"Authorization": f"Bearer {self.token}"}
        )
        answer.raise_for_status()
        counts: dict[str, Any] = answer.json()
        return counts

    def active_student_enrollments(self) -> int:
        """Read from the simulator's SQLite file (read-only), as a Canvas report would count."""
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            [(count,)] = conn.execute(
                "SELECT COUNT(*) FROM enrollments WHERE type = 'StudentEnrollment'"
                " AND workflow_state = 'active'"
            ).fetchall()
        return int(count)


@dataclass(frozen=True)
class Reading:
    """The counters at one moment; :meth:`since` turns two readings into a part's figures."""

    at: float
    requests: int
    throttled: int
    enrollments: int
    simulator_cpu: float
    bench_cpu: float

    @classmethod
    def take(cls, canvas: Canvas) -> Reading:
        answers = canvas.answers()
        return cls(
            at=time.perf_counter(),
            requests=int(answers["requests"]),
            throttled=int(answers["throttled"]),
            enrollments=canvas.active_student_enrollments(),
            simulator_cpu=cpu_seconds([canvas.pid]),
            bench_cpu=cpu_seconds([os.getpid()]),
        )

    def since(self, before: Reading) -> dict[str, Any]:
        seconds = self.at - before.at
        return {
            "seconds": round(seconds, 1),
            "canvas_requests": self.requests - before.requests,
            "throttled_429_received": self.throttled - before.throttled,
            "enrollments_created": self.enrollments - before.enrollments,
            "simulator_cpu_s": round(self.simulator_cpu - before.simulator_cpu, 1),
            "bench_cpu_s": round(self.bench_cpu - before.bench_cpu, 1),
        }


def surfaced_429s(engine: Engine, since: datetime) -> int:
    """Runs since ``since`` to which a 429 reached a caller: an inbox row's last error, a run's
    outcome or a person exception names one (each run counted once)."""
    e, o, x = inbox_events, run_outcomes, person_exceptions
    queries = [
        select(e.c.event_id).where(e.c.updated_at >= since, e.c.last_error.like(THROTTLED)),
        select(o.c.thread_id).where(o.c.recorded_at >= since, o.c.detail.like(THROTTLED)),
        select(x.c.thread_id).where(x.c.recorded_at >= since, x.c.detail.like(THROTTLED)),
    ]
    with engine.connect() as conn:
        ids = {str(row[0]).removeprefix("event:") for q in queries for row in conn.execute(q)}
    return len(ids)


def whole_term(settings: Settings, term: str, canvas: Canvas) -> dict[str, Any]:
    """``reconcile --apply`` from nothing, then the second dry run."""
    since, before = utcnow(), Reading.take(canvas)
    run = reconcile_term(settings, term, apply=True)
    applied, before = Reading.take(canvas).since(before), Reading.take(canvas)
    dry = reconcile_term(settings, term, apply=False)
    checked = Reading.take(canvas).since(before)
    figures = run.outcome.figures
    ledger = make_engine(settings.database_url)
    try:
        surfaced = surfaced_429s(ledger, since)
    finally:
        ledger.dispose()
    return {
        "status": run.outcome.status,
        "detail": run.outcome.detail,
        **applied,
        "client_canvas_requests": run.canvas_requests,
        "surfaced_429": surfaced,
        "failed": int(figures.get("failed", 0)),
        "person_exceptions": int(figures.get("exceptions", 0)),
        "applied": {k.removeprefix("applied_"): v for k, v in figures.items()
                    if k.startswith("applied_")},
        "second_dry_run": {"status": dry.outcome.status,
                           "planned": int(dry.outcome.figures.get("total", 0)),
                           "planned_by_kind": {k.removeprefix("plan_"): v for k, v in
                                               dry.outcome.figures.items()
                                               if k.startswith("plan_") and v},
                           "seconds": checked["seconds"],
                           "canvas_requests": checked["canvas_requests"]},
    }  # fmt: skip


def new_registrations(banner: Engine, term: str, count: int, seed: int) -> list[Event]:
    """``count`` new SFRSTCR rows (RE, added today) of the term's students in its active
    sections, pairs they do not hold yet; returns their events, one per registration.

    Students and sections are those the term already has registrations for, so each student
    has a Canvas account and each section a course once the term was applied.
    """
    with banner.connect() as conn:
        held = set(conn.execute(text(HELD), {"t": term}).all())
        levels: dict[int, str] = dict(conn.execute(text(LEVELS), {"t": term}).all())
        credits: dict[str, float] = dict(conn.execute(text(CREDITS), {"t": term}).all())
    students, crns = list(levels), list(credits)
    free = len(students) * len(crns) - len(held)
    if free < count:
        raise SystemExit(f"only {free} free student/section pairs for {count} new registrations")
    rng, pairs = random.Random(seed), set[tuple[int, str]]()
    while len(pairs) < count:
        pair = (rng.choice(students), rng.choice(crns))
        if pair not in held:
            pairs.add(pair)
    today, now = date.today(), utcnow()
    ordered = sorted(pairs, key=lambda _: rng.random())
    rows = [{"sfrstcr_term_code": term, "sfrstcr_pidm": pidm, "sfrstcr_crn": crn,
             "sfrstcr_rsts_code": "RE", "sfrstcr_rsts_date": today,
             "sfrstcr_credit_hr": credits[crn], "sfrstcr_gmod_code": "S",
             "sfrstcr_add_date": today, "sfrstcr_levl_code": levels[pidm],
             **stamp(sfrstcr, now.replace(tzinfo=None))}
            for pidm, crn in ordered]  # fmt: skip
    with banner.begin() as conn:
        conn.execute(insert(sfrstcr), rows)
    return [
        RegistrationAdded(event_id=f"bench:{term}:add:{crn}:{pidm}", occurred_at=now,
                          term_code=term, crn=str(crn), pidm=int(pidm), rsts_code="RE")
        for pidm, crn in ordered
    ]  # fmt: skip


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A PostgreSQL database of the run's own, made empty; yields its URL, dropped after."""
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    drop = text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(drop)
        admin.dispose()


@contextmanager
def working(settings: Settings, mode: str, workers: int) -> Iterator[list[int]]:
    """The embedded default's worker processes, or ``workers`` ``bca worker`` processes on
    RabbitMQ; yields their process ids."""
    stop = threading.Event()
    if mode == "rabbitmq":
        fleet = WorkerFleet(settings, BROKER_URL, LEASE_SECONDS)
        for _ in range(workers):
            fleet.start()
        try:
            yield [p.pid for p in fleet.processes]
        finally:
            fleet.stop()
        return
    embedded = EmbeddedWorkers.configured(settings, partial(AgentHandler.from_settings, settings))
    runner = threading.Thread(target=embedded.run, args=(stop,))
    runner.start()
    try:
        while not embedded.pids:
            time.sleep(0.1)
        yield embedded.pids
    finally:
        stop.set()
        runner.join(120)


def warm_up(inbox: Inbox, term: str, banner: Engine, count: int) -> None:
    """Publish ``count`` sections again (each a no-op: the course exists) and wait for them, so
    every worker has imported and connected before the clock starts."""
    with banner.connect() as conn:
        crns = [str(crn) for crn, _ in conn.execute(text(CREDITS), {"t": term}).all()][:count]
    now = utcnow()
    events: list[Event] = [
        SectionCreated(event_id=f"bench:{term}:warm:{now:%H%M%S%f}:{crn}", occurred_at=now,
                       term_code=term, crn=crn)
        for crn in crns
    ]  # fmt: skip
    inbox.store_many(events, source="bench")
    latencies(inbox, {e.event_id for e in events}, 600)


def burst(
    settings: Settings,
    term: str,
    canvas: Canvas,
    *,
    mode: str,
    events: int,
    rate: float,
    workers: int,
    timeout: float,
) -> dict[str, Any]:
    """``events`` new registrations offered at ``rate``/s; waits until every one is finished."""
    banner = make_engine(settings.banner_url)
    adds = new_registrations(banner, term, events, seed=len(mode))
    inbox = Inbox(make_engine(settings.database_url))
    inbox.create_schema()
    try:
        with working(settings, mode, workers) as pids:
            warm_up(inbox, term, banner, 2 * len(pids))
            since, before, cpu = utcnow(), Reading.take(canvas), cpu_seconds(pids)
            offered = paced(inbox, adds, rate, batch=max(1, int(rate / 10)))
            run = latencies(inbox, {e.event_id for e in adds}, timeout, poll=2.0)
            measured = Reading.take(canvas).since(before)
            worker_cpu = cpu_seconds(pids) - cpu
        enrollments = measured["enrollments_created"]
        return {
            "mode": mode,
            "worker_processes": len(pids),
            "offered_per_second": round(events / offered, 1),
            **run,
            "drain_s": measured.pop("seconds"),
            **measured,
            "canvas_requests_per_enrollment": round(
                measured["canvas_requests"] / enrollments, 3) if enrollments else None,
            "surfaced_429": surfaced_429s(inbox.engine, since),
            "worker_cpu_s": round(worker_cpu, 1),
            "worker_cpu_ms_per_event": round(worker_cpu / events * 1000, 1),
        }  # fmt: skip
    finally:
        banner.dispose()
        inbox.engine.dispose()


def goals(figures: dict[str, Any], full_size: bool) -> list[dict[str, Any]]:
    """The issue's goals for the parts that ran, each with the figure and whether it was met."""
    found: list[dict[str, Any]] = []

    def goal(name: str, value: Any, met: bool) -> None:
        found.append({"goal": name, "value": value, "met": bool(met), "at_issue_size": full_size})

    if apply := figures.get("apply"):
        goal("whole-term apply < 600 s", apply["seconds"], apply["seconds"] < 600)
        goal("whole-term apply: 0 failures", apply["failed"], apply["failed"] == 0)
        planned = apply["second_dry_run"]["planned"]
        goal("second dry run plans 0", planned, planned == 0)
    if rabbit := figures.get("burst_rabbitmq"):
        drained = rabbit["drain_s"] if rabbit["not_done"] == 0 else None
        goal("burst drained < 600 s (RabbitMQ)", drained, drained is not None and drained < 600)
        goal("burst p95 < 60 s (RabbitMQ)", rabbit["p95_s"], (rabbit["p95_s"] or 1e9) < 60)
        per = rabbit["canvas_requests_per_enrollment"]
        goal(
            "< 0.05 Canvas requests per enrollment (RabbitMQ)", per, per is not None and per < 0.05
        )
        goal("0 surfaced 429s (RabbitMQ)", rabbit["surfaced_429"], rabbit["surfaced_429"] == 0)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=FULL_SIZE["students"])
    parser.add_argument("--sections", type=int, default=FULL_SIZE["sections"])
    parser.add_argument("--events", type=int, default=FULL_SIZE["events"], help="burst size")
    parser.add_argument("--rate", type=float, default=FULL_SIZE["rate"], help="events offered/s")
    parser.add_argument("--workers", type=int, default=4, help="bca worker processes (RabbitMQ)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per burst")
    parser.add_argument(
        "--parts",
        default="apply,burst-embedded,burst-rabbitmq",
        help="comma-separated subset of apply, burst-embedded, burst-rabbitmq (default: all)",
    )
    parser.add_argument("--pg-database", default="bca_bench", help="made and dropped per run")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    unknown = parts - {"apply", "burst-embedded", "burst-rabbitmq"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    figures: dict[str, Any] = {"students": args.students, "sections": args.sections,
                               "events": args.events, "rate": args.rate}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.embedded_in(Path(tmp) / "var")
        started = time.perf_counter()
        banner, term = ensure_banner(settings, students=args.students, sections=args.sections)
        banner.dispose()
        figures |= {"term": term, "seed_s": round(time.perf_counter() - started, 1)}
        print(f"seeded Banner in {figures['seed_s']} s; term {term}", file=sys.stderr)
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        with simulator_process(settings) as sim:
            settings = settings.model_copy(update={"canvas_url": sim.base_url})
            token = settings.canvas_token.get_secret_value()
            canvas = Canvas(sim.base_url, token, settings.var_dir / "canvas-sim.db", sim.pid)
            applied = whole_term(settings, term, canvas)
            if "apply" in parts:
                figures["apply"] = applied
                print(f"apply: {applied}", file=sys.stderr)
            for mode in ("embedded", "rabbitmq"):
                if f"burst-{mode}" not in parts:
                    continue
                with ExitStack() as stack:
                    wired = settings
                    if mode == "rabbitmq":
                        url = stack.enter_context(bench_database(args.pg_database))
                        wired = settings.model_copy(
                            update={"database_url": url, "checkpoint_url": url}
                        )
                    run = burst(wired, term, canvas, mode=mode, events=args.events,
                                rate=args.rate, workers=args.workers,
                                timeout=args.timeout)  # fmt: skip
                figures[f"burst_{mode}"] = run
                print(f"burst {mode}: {run}", file=sys.stderr)
    full = all(getattr(args, k) >= v for k, v in FULL_SIZE.items())
    figures["goals"] = goals(figures, full)
    figures["goals_met"] = all(g["met"] for g in figures["goals"])
    for g in figures["goals"]:
        print(f"{'MET ' if g['met'] else 'MISS'} {g['goal']}: {g['value']}", file=sys.stderr)
    print(json.dumps(figures, sort_keys=True, default=str))


if __name__ == "__main__":
    main()
