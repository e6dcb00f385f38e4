"""Scale-out runs: a term start's events, duplicated and shuffled, through RabbitMQ workers.

What the e2e test and ``bench/pipeline.py`` share. :func:`arrivals` turns the deterministic
events of :class:`runtime.demo.TermEvents` into what a real feed delivers: a share of them twice
and in an order shuffled within a window of event time. :class:`WorkerFleet` runs
``bca worker`` processes on RabbitMQ over one app database (SIGKILL and restart included), and
:func:`scale_run` stores the arrivals while the fleet works, kills one worker mid-run, restarts
it, waits until every event is done and reports the figures and the drift a reconciliation
would still plan.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from agents.events import Event
from core.db import make_engine
from core.settings import Settings
from runtime.inbox import Inbox
from runtime.reconcile import reconcile_term


def arrivals(
    events: Sequence[Event],
    *,
    duplicate_share: float = 0.1,
    window: timedelta = timedelta(seconds=5),
    seed: int = 0,
) -> list[Event]:
    """``events`` plus a ``duplicate_share`` of them again, ordered by event time + jitter.

    Each copy arrives up to ``window`` after its event time, so the order is shuffled within
    that window (duplicates included) and never beyond it.
    """
    rng = random.Random(seed)
    copies = list(events) + rng.sample(list(events), round(len(events) * duplicate_share))
    jitter = window.total_seconds()
    keyed = [(e.occurred_at + timedelta(seconds=rng.uniform(0, jitter)), n, e)
             for n, e in enumerate(copies)]  # fmt: skip
    return [e for _, _, e in sorted(keyed, key=lambda k: (k[0], k[1]))]


def worker_env(settings: Settings, broker_url: str) -> dict[str, str]:
    """The environment of a ``bca worker`` process over ``settings``'s databases and Canvas."""
    return {
        **os.environ,
        "BCA_VAR_DIR": str(settings.var_dir),
        "BCA_BANNER_URL": settings.banner_url,
        "BCA_DATABASE_URL": settings.database_url,
        "BCA_CHECKPOINT_URL": settings.resolved_checkpoint_url(),
        "BCA_CANVAS_URL": settings.canvas_url,
        "BCA_BROKER_URL": broker_url,
    }


@dataclass
class WorkerFleet:
    """``bca worker`` processes on RabbitMQ (one process each, unique queue names per fleet)."""

    settings: Settings
    broker_url: str
    lease_seconds: float = 60.0
    prefix: str = field(default_factory=lambda: f"bca-{uuid.uuid4().hex[:8]}")
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    log_dir: Path | None = None

    def start(self) -> subprocess.Popen[bytes]:
        """One more worker process."""
        bca = str(Path(sys.executable).with_name("bca"))
        log = (self.log_dir or self.settings.var_dir) / f"worker-{len(self.processes)}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen(
            [bca, "worker", "--no-scheduler", "--queue-prefix", self.prefix,
             "--lease-seconds", str(self.lease_seconds), "--prefetch", "4"],
            env=worker_env(self.settings, self.broker_url),
            stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        )  # fmt: skip
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no chance to finish, ack or release anything."""
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        """SIGTERM every live worker and wait for it."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill(process)


def scale_run(
    settings: Settings,
    broker_url: str,
    term: str,
    events: Sequence[Event],
    *,
    workers: int = 2,
    kill_at: float = 0.3,
    timeout: float = 600.0,
    seed: int = 0,
    lease_seconds: float = 60.0,
) -> dict[str, Any]:
    """Store ``arrivals(events)`` while ``workers`` processes work; kill one at ``kill_at`` done.

    ``lease_seconds`` bounds how long a killed worker's claims wait before others take them;
    under a backlog it must outlast an event's time in the work queue, since each expired lease
    counts as an attempt. Returns the figures: events delivered and unique, inbox counts,
    seconds, throughput, whether a worker was killed, and the drift of a dry-run
    reconciliation afterwards.
    """
    inbox = Inbox(make_engine(settings.database_url))
    inbox.create_schema()
    delivered = arrivals(events, seed=seed)
    unique = len({e.event_id for e in events})
    fleet = WorkerFleet(settings, broker_url, lease_seconds)
    started = time.perf_counter()
    killed = False
    try:
        for _ in range(workers):
            fleet.start()
        for n in range(0, len(delivered), 50):
            for event in delivered[n : n + 50]:
                inbox.store(event, source="loadgen")
        deadline = started + timeout
        while True:
            counts = inbox.counts()
            if not killed and counts["done"] >= kill_at * unique:
                fleet.kill(fleet.processes[0])
                fleet.start()
                killed = True
            if counts["done"] + counts["dead"] >= unique:
                break
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not finished after {timeout} s: {counts}")
            time.sleep(0.2)
        seconds = time.perf_counter() - started
    finally:
        fleet.stop()
        inbox.engine.dispose()
    drift = reconcile_term(settings, term, apply=False)
    return {
        "events_delivered": len(delivered),
        "events_unique": unique,
        "duplicates": len(delivered) - unique,
        "workers": workers,
        "worker_killed": killed,
        "seconds": round(seconds, 1),
        "events_per_second": round(unique / seconds, 1),
        "events_done": counts["done"],
        "events_failed": counts["failed"],
        "events_dead": counts["dead"],
        "drift": int(drift.outcome.figures.get("total", 0)),
    }
