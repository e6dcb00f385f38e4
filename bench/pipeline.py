"""Benchmark of the running pipeline: webhook accept latency, registration → Canvas enrolment
latency at a sustained rate (embedded worker, and two RabbitMQ worker processes), and the
5,000-event two-worker run with 10% duplicates, a SIGKILLed worker and a reconciliation.

Everything runs on the embedded default in a temporary var directory: the Banner sandbox, the
app's SQLite inbox, and the Canvas simulator in a process of its own, reached over HTTP (a real
Canvas is another machine: its CPU is not the pipeline's; in the worker's process it took a
quarter of the CPU). Latency of a
registration is the time from the event being stored in the inbox (what intake does) until its
row is done, i.e. the Canvas enrolment call returned. Human lines first; the last line is one
JSON object.

    .venv/bin/python -m bench.pipeline [--rate 50] [--seconds 60] [--events 5000] [--parts ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import jwt
import uvicorn
from pydantic import SecretStr
from sqlalchemy import select

from agents.events import Event
from app import create_app
from core.db import make_engine
from core.settings import Settings
from runtime.demo import TermEvents, ensure_banner, wired_to_canvas
from runtime.inbox import Inbox, inbox_events
from runtime.intake.canvas import LiveEventsConfig
from runtime.loadgen import WorkerFleet, scale_run
from runtime.pipeline import AgentHandler
from runtime.worker import EmbeddedWorkers
from sandbox.canvas.testing import free_port

BROKER_URL = os.environ.get("BCA_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


@dataclass(frozen=True)
class SimulatorProcess:
    """``bca canvas-sim`` running: where it listens, and its process (whose CPU a bench reads)."""

    base_url: str
    pid: int


@contextmanager
def simulator_process(settings: Settings) -> Iterator[SimulatorProcess]:
    """``bca canvas-sim`` in its own process on a free port."""
    port = free_port()
    token = settings.canvas_token.get_secret_value()
    bca = str(Path(sys.executable).with_name("bca"))
    process = subprocess.Popen(
        [bca, "canvas-sim", "--port", str(port), "--token", token,
         "--db", str(settings.var_dir / "canvas-sim.db")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/api/v1/accounts/1", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Canvas simulator process did not start") from None
                time.sleep(0.1)
        yield SimulatorProcess(base, process.pid)
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def world(settings: Settings, *, students: int, sections: int) -> Iterator[tuple[Settings, str]]:
    """Banner seeded, the simulator process up with Banner's people; yields (settings, term)."""
    banner, term = ensure_banner(settings, students=students, sections=sections)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with simulator_process(settings) as sim:
        yield wired_to_canvas(settings, banner, sim.base_url), term


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux ``/proc``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


WEBHOOK_KEY = "bench-live-events-key-of-at-least-32-bytes"
"""The webhook verifies every body as a deployment does (HS256, as Canvas signs)."""


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    port = free_port()
    live_events = LiveEventsConfig(jwt_key=SecretStr(WEBHOOK_KEY))
    app = create_app(settings, live_events=live_events)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def webhook_latency(settings: Settings, count: int) -> dict[str, float]:
    """POST ``count`` signed Canvas Live Events (submission_created) one after another."""
    samples = []
    with serving(settings) as base, httpx.Client(base_url=base) as client:
        for n in range(count):
            envelope = {
                "metadata": {"event_name": "submission_created", "event_time":
                             datetime.now(UTC).isoformat(), "context_type": "Course",
                             "context_id": "1", "request_id": uuid.uuid4().hex,
                             "root_account_id": "1", "producer": "canvas"},
                "body": {"submission_id": str(n + 1), "assignment_id": "1", "user_id": "1",
                         "course_id": "1", "workflow_state": "submitted"},
            }  # fmt: skip
            body = jwt.encode({**envelope, "iat": int(time.time())}, WEBHOOK_KEY)
            started = time.perf_counter()
            answer = client.post("/webhooks/canvas", content=body)
            samples.append((time.perf_counter() - started) * 1000)
            assert answer.status_code < 300, answer.text
    return {"webhook_p50_ms": pct(samples, 0.5), "webhook_p99_ms": pct(samples, 0.99)}


def paced(inbox: Inbox, events: Sequence[Event], rate: float, batch: int = 1) -> float:
    """Store ``events`` at ``rate`` per second, as intake would; returns the seconds it took.

    ``batch`` events go in one transaction, as a feed consumer stores what one poll brought
    (at hundreds of events a second one transaction each would measure SQLite's commits).
    """
    started = time.perf_counter()
    for n in range(0, len(events), batch):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        inbox.store_many(events[n : n + batch], source="bench")
    return time.perf_counter() - started


def latencies(inbox: Inbox, ids: set[str], timeout: float, poll: float = 0.5) -> dict[str, Any]:
    """Wait for ``ids`` to finish; p50/p95/p99 of received → done, in seconds.

    While waiting it reads only unfinished rows (a handful in steady state), so polling takes
    no CPU worth mentioning from an embedded worker in the same process; under a backlog of
    thousands a longer ``poll`` keeps it so.
    """
    e = inbox_events
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with inbox.engine.connect() as conn:
            open_: set[str] = set(
                conn.execute(
                    select(e.c.event_id).where(e.c.status.not_in(("done", "dead")))
                ).scalars()
            )
        if not open_ & ids:
            break
        time.sleep(poll)
    with inbox.engine.connect() as conn:
        rows = conn.execute(select(e.c.event_id, e.c.status, e.c.received_at, e.c.updated_at)).all()
    mine = [r for r in rows if r.event_id in ids]
    finished = [r for r in mine if r.status in ("done", "dead")]
    seconds = [(r.updated_at - r.received_at).total_seconds() for r in finished]
    return {
        "events": len(ids),
        "finished": len(finished),
        "not_done": len(ids) - sum(1 for r in mine if r.status == "done"),
        "p50_s": round(statistics.median(seconds), 3) if seconds else None,
        "p95_s": pct(seconds, 0.95) if seconds else None,
        "p99_s": pct(seconds, 0.99) if seconds else None,
    }


def sustained(
    settings: Settings, term: str, rate: float, seconds: float, mode: str
) -> dict[str, Any]:
    """Registrations at ``rate``/s for ``seconds``: the embedded worker or two RabbitMQ workers.

    The embedded worker is what ``bca up`` runs: ``settings.worker_processes`` processes of
    ``settings.worker_threads`` threads each.
    """
    banner = make_engine(settings.banner_url)
    events = TermEvents(banner, term, datetime.now(UTC), timedelta(milliseconds=1))
    inbox = Inbox(make_engine(settings.database_url))
    inbox.create_schema()
    sections = events.sections()
    inbox.store_many(sections, source="bench")  # courses first, not timed
    registrations = events.registrations()[: int(rate * seconds)]
    stop = threading.Event()
    fleet = WorkerFleet(settings, BROKER_URL) if mode == "rabbitmq" else None
    embedded = EmbeddedWorkers.configured(settings, partial(AgentHandler.from_settings, settings))
    runner = threading.Thread(target=embedded.run, args=(stop,))
    if fleet:
        fleet.start()
        fleet.start()
    else:
        runner.start()
    try:
        latencies(inbox, {s.event_id for s in sections}, 300)
        pids = [p.pid for p in fleet.processes] if fleet else embedded.pids
        cpu = cpu_seconds(pids)
        paced(inbox, registrations, rate)
        run = latencies(inbox, {r.event_id for r in registrations}, 600)
        per_event = (cpu_seconds(pids) - cpu) / max(1, len(registrations)) * 1000
        return {"mode": mode, "rate": rate, "seconds": seconds, **run,
                "worker_cpu_ms_per_event": round(per_event, 1)}  # fmt: skip
    finally:
        stop.set()
        if fleet:
            fleet.stop()
        else:
            runner.join(60)
        banner.dispose()
        inbox.engine.dispose()


def two_workers(base: Settings, size: int) -> dict[str, Any]:
    """The Done-when run: ``size`` mixed events, two RabbitMQ workers, one SIGKILLed."""
    students, sections = size // 4, max(10, size // 90)
    with world(base, students=students, sections=sections) as (s, term):
        banner = make_engine(s.banner_url)
        events = TermEvents(banner, term, datetime.now(UTC), timedelta(milliseconds=20))
        mixed = [*events.sections(), *events.registrations()]
        mixed += events.drops_and_promotions()
        try:
            return scale_run(s, BROKER_URL, term, mixed, workers=2, kill_at=0.3, timeout=1800)
        finally:
            banner.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=5000, help="size of the two-worker run")
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per embedded worker process (default: BCA_WORKER_THREADS, as bca up)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="embedded worker processes (default: BCA_WORKER_PROCESSES, as bca up)",
    )
    parser.add_argument(
        "--parts",
        default="webhook,embedded,rabbitmq,scale",
        help="comma-separated subset of webhook, embedded, rabbitmq, scale (default: all)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    figures: dict[str, Any] = {}
    needed = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        if "webhook" in parts:
            figures |= webhook_latency(Settings.embedded_in(Path(tmp) / "webhook"), args.webhooks)
            print(f"webhook accept: {figures}", file=sys.stderr)
        for mode in ("embedded", "rabbitmq"):
            if mode not in parts:
                continue
            base = Settings.embedded_in(Path(tmp) / mode)
            if args.threads:
                base.worker_threads = args.threads
            if args.processes:
                base.worker_processes = args.processes
            students, sections = max(200, needed // 3), max(10, needed // 60)
            with world(base, students=students, sections=sections) as (s, term):
                run = sustained(s, term, args.rate, args.seconds, mode)
                figures[f"registration_to_enrollment_{mode}"] = run
                print(f"{mode}: {run}", file=sys.stderr)
        if "scale" in parts:
            run = two_workers(Settings.embedded_in(Path(tmp) / "scale"), args.events)
            figures["two_workers_rabbitmq"] = run
            print(f"two workers: {run}", file=sys.stderr)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
