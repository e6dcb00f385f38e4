"""Benchmark of the running pipeline: webhook accept latency, registration → Canvas enrolment
latency at a sustained rate (embedded worker, and two RabbitMQ worker processes), and the
5,000-event two-worker run with 10% duplicates, a SIGKILLed worker and a reconciliation.

Everything runs on the embedded default in a temporary var directory: the Banner sandbox, the
Canvas simulator (in this process, reached over HTTP), the app's SQLite inbox. Latency of a
registration is the time from the event being stored in the inbox (what intake does) until its
row is done, i.e. the Canvas enrolment call returned. Human lines first; the last line is one
JSON object.

    .venv/bin/python -m bench.pipeline [--rate 50] [--seconds 60] [--events 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import select

from agents.events import Event
from app import create_app
from runtime.db import make_engine
from runtime.demo import TermEvents, embedded_world
from runtime.inbox import Inbox, inbox_events
from runtime.loadgen import WorkerFleet, scale_run
from runtime.pipeline import AgentHandler
from runtime.settings import Settings
from runtime.worker import InProcessWorker
from sandbox.canvas.testing import free_port

BROKER_URL = os.environ.get("BCA_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")


def settings_in(var: Path) -> Settings:
    return Settings(
        var_dir=var,
        banner_url=f"sqlite:///{var}/banner.db",
        database_url=f"sqlite:///{var}/app.db",
        checkpoint_url=str(var / "checkpoints.db"),
    )


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
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
    """POST ``count`` Canvas Live Events (submission_created) one after another."""
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
            started = time.perf_counter()
            answer = client.post("/webhooks/canvas", json=envelope)
            samples.append((time.perf_counter() - started) * 1000)
            assert answer.status_code < 300, answer.text
    return {"webhook_p50_ms": pct(samples, 0.5), "webhook_p99_ms": pct(samples, 0.99)}


def paced(inbox: Inbox, events: Sequence[Event], rate: float) -> None:
    """Store ``events`` at ``rate`` per second, as intake would."""
    started = time.perf_counter()
    for n, event in enumerate(events):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        inbox.store(event, source="bench")


def latencies(inbox: Inbox, ids: set[str], timeout: float) -> dict[str, Any]:
    """Wait for ``ids`` to finish; p50/p95 of received → done, in seconds."""
    e = inbox_events
    deadline = time.monotonic() + timeout
    while True:
        with inbox.engine.connect() as conn:
            rows = conn.execute(
                select(e.c.event_id, e.c.status, e.c.received_at, e.c.updated_at)
            ).all()
        mine = [r for r in rows if r.event_id in ids]
        finished = [r for r in mine if r.status in ("done", "dead")]
        if len(finished) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    seconds = [(r.updated_at - r.received_at).total_seconds() for r in finished]
    return {
        "events": len(ids),
        "finished": len(finished),
        "not_done": sum(1 for r in mine if r.status != "done"),
        "p50_s": round(statistics.median(seconds), 3) if seconds else None,
        "p95_s": pct(seconds, 0.95) if seconds else None,
    }


def sustained(
    settings: Settings, term: str, rate: float, seconds: float, mode: str
) -> dict[str, Any]:
    """Registrations at ``rate``/s for ``seconds``: embedded worker or two RabbitMQ workers."""
    banner = make_engine(settings.banner_url)
    events = TermEvents(banner, term, datetime.now(UTC), timedelta(milliseconds=1))
    inbox = Inbox(make_engine(settings.database_url))
    inbox.create_schema()
    sections = events.sections()
    inbox.store_many(sections, source="bench")  # courses first, not timed
    registrations = events.registrations()[: int(rate * seconds)]
    stop = threading.Event()
    fleet = WorkerFleet(settings, BROKER_URL) if mode == "rabbitmq" else None
    handler = None
    if fleet:
        fleet.start()
        fleet.start()
    else:
        handler = AgentHandler.from_settings(settings)
        worker = InProcessWorker(inbox, handler, worker_id="bench", concurrency=4)
        threading.Thread(target=worker.run, args=(stop,), daemon=True).start()
    try:
        latencies(inbox, {s.event_id for s in sections}, 300)
        paced(inbox, registrations, rate)
        return {"mode": mode, "rate": rate, "seconds": seconds,
                **latencies(inbox, {r.event_id for r in registrations}, 600)}  # fmt: skip
    finally:
        stop.set()
        if fleet:
            fleet.stop()
        if handler:
            handler.close()
        banner.dispose()
        inbox.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=5000, help="size of the two-worker run")
    parser.add_argument("--webhooks", type=int, default=1000)
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    needed = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        figures |= webhook_latency(settings_in(Path(tmp) / "webhook"), args.webhooks)
        print(f"webhook accept: {figures}", file=sys.stderr)
        for mode in ("embedded", "rabbitmq"):
            base = settings_in(Path(tmp) / mode)
            students, sections = max(200, needed // 3), max(10, needed // 60)
            with embedded_world(base, students=students, sections=sections) as (s, _sim, term):
                run = sustained(s, term, args.rate, args.seconds, mode)
                figures[f"registration_to_enrollment_{mode}"] = run
                print(f"{mode}: {run}", file=sys.stderr)
        base = settings_in(Path(tmp) / "scale")
        students, sections = args.events // 4, max(10, args.events // 90)
        with embedded_world(base, students=students, sections=sections) as (s, _sim, term):
            banner = make_engine(s.banner_url)
            events = TermEvents(banner, term, datetime.now(UTC), timedelta(milliseconds=20))
            mixed = [*events.sections(), *events.registrations()]
            mixed += events.drops_and_promotions()
            run = scale_run(s, BROKER_URL, term, mixed, workers=2, kill_at=0.3, timeout=1800)
            banner.dispose()
        figures["two_workers_rabbitmq"] = run
        print(f"two workers: {run}", file=sys.stderr)
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
