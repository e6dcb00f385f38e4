"""Two RabbitMQ worker processes, 1,000 events with 10% duplicates, one worker SIGKILLed mid-run.

The effects (one row per event id, recorded by an idempotent handler) must equal the unique
events: nothing lost, nothing applied twice, each subject's events applied in event-time order.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import make_engine
from runtime.inbox import Inbox
from tests.runtime.helpers import (
    CountingHandler,
    assert_applied_once_in_subject_order,
    delete_queues,
    effects,
    reg,
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]


def start_worker(pg_url: str, broker_url: str, prefix: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "BCA_DATABASE_URL": pg_url,
        "BCA_BROKER_URL": broker_url,
        "BCA_TEST_HANDLER_DELAY": "0.002",
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-c",
        "from runtime.cli import main; main()",
        "worker",
        "--concurrency",
        "1",
        "--handler",
        "tests.runtime.helpers:CountingHandler",
        "--lease-seconds",
        "5",
        "--prefetch",
        "16",
        "--queue-prefix",
        prefix,
        "--no-scheduler",
    ]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def test_two_workers_sigkill_loses_nothing(
    pg_url: str, broker_url: str, unique: str, tmp_path
) -> None:
    inbox = Inbox(make_engine(pg_url))
    inbox.create_schema()
    counter = CountingHandler(pg_url)
    events = [reg(n, pidm=n % 100 + 1, minutes=n, dropped=n % 4 == 3) for n in range(1000)]
    arrivals = events + random.Random(5).sample(events, 100)
    random.Random(6).shuffle(arrivals)
    for start in range(0, len(arrivals), 100):
        inbox.store_many(arrivals[start : start + 100], source="bep")
    assert inbox.counts()["received"] == 1000

    def applied() -> int:
        with counter.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(effects)).scalar_one())

    workers = [start_worker(pg_url, broker_url, unique, tmp_path / f"w{i}.log") for i in range(2)]
    began = time.monotonic()
    try:
        while applied() < 300:
            assert time.monotonic() - began < 60, (tmp_path / "w0.log").read_text()[-2000:]
            time.sleep(0.02)
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(10)
        killed_at = applied()
        deadline = time.monotonic() + 90
        while inbox.counts()["done"] < 1000:
            assert time.monotonic() < deadline, (
                inbox.counts(),
                (tmp_path / "w1.log").read_text()[-3000:],
            )
            time.sleep(0.1)
        elapsed = time.monotonic() - began
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(20)
        asyncio.run(delete_queues(broker_url, unique))

    assert 300 <= killed_at < 1000, "the kill happened mid-run"
    assert_applied_once_in_subject_order(counter.engine, events)
    counts = inbox.counts()
    assert counts["done"] == 1000 and counts["dead"] == 0 and counts["failed"] == 0
    print(
        f"\n1000 events through 2 RabbitMQ workers (one SIGKILLed at {killed_at}): {elapsed:.1f}s"
    )
