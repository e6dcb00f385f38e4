"""The embedded worker as several processes over one inbox: shared work, order, a killed process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import select

from core.db import make_engine
from core.settings import Settings
from runtime.inbox import Inbox
from runtime.worker import EmbeddedWorkers, ProcessGroup
from tests.runtime.helpers import (
    CountingHandler,
    assert_applied_once_in_subject_order,
    effects,
    effects_meta,
    reg,
)

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_processes_share_the_inbox_keep_subject_order_and_replace_a_killed_one(
    inbox: Inbox, app_url: str, tmp_path: Path
) -> None:
    events = [reg(n, pidm=n % 20 + 1, minutes=n, dropped=n % 3 == 0) for n in range(240)]
    inbox.store_many(events, source="t")
    effects_meta.create_all(inbox.engine)  # not by both processes at once (PostgreSQL refuses)
    settings = Settings.embedded_in(tmp_path).model_copy(update={"database_url": app_url})
    make_handler = partial(CountingHandler, app_url, 0.01)
    workers = EmbeddedWorkers(settings, make_handler, 2, 2, lease=timedelta(seconds=2))
    stop = threading.Event()
    runner = threading.Thread(target=workers.run, args=(stop,))
    runner.start()
    try:
        wait_for(lambda: len(workers.pids) == 2, 30, "two worker processes")
        first = list(workers.pids)
        assert os.getpid() not in first
        wait_for(lambda: inbox.counts()["done"] >= 40, 60, "the first events")
        os.kill(first[0], signal.SIGKILL)
        wait_for(lambda: inbox.counts()["done"] == len(events), 90, "every event")
        wait_for(lambda: first[0] not in workers.pids, 10, "the killed process's replacement")
        assert len(workers.pids) == 2 and first[1] in workers.pids
    finally:
        stop.set()
        runner.join(60)
    assert workers.group is not None
    codes = {p.pid: p.exitcode for p in workers.group.processes}
    assert codes[first[1]] == 0  # a working process finishes its event and exits cleanly
    # The replacement too, unless SIGTERM found it still starting (then it ends at once).
    assert set(codes.values()) <= {0, -signal.SIGTERM}, codes
    assert_applied_once_in_subject_order(inbox.engine, events)


def test_bca_worker_without_a_broker_runs_processes_and_stops_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    inbox = Inbox(make_engine(url))
    inbox.create_schema()
    inbox.store_many([reg(n, pidm=n % 7 + 1, minutes=n) for n in range(60)], source="t")
    effects_meta.create_all(inbox.engine)
    env = {k: v for k, v in os.environ.items() if k != "BCA_BROKER_URL"}
    env |= {"BCA_DATABASE_URL": url, "BCA_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", "from runtime.cli import main; main()", "worker",
               "--processes", "2", "--concurrency", "1", "--no-scheduler",
               "--handler", "tests.runtime.helpers:CountingHandler"]  # fmt: skip
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:
        wait_for(lambda: inbox.counts()["done"] == 60, 60, "the worker processes")
        children = subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        spawned = [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
    assert len(spawned) == 2, spawned
    with inbox.engine.connect() as conn:
        assert len(conn.execute(select(effects.c.event_id)).all()) == 60


def test_a_process_that_dies_at_start_is_restarted_with_growing_delays() -> None:
    group = ProcessGroup(partial(os._exit, 3), 1)
    stop = threading.Event()
    runner = threading.Thread(target=group.run, args=(stop,))
    runner.start()
    time.sleep(7.5)
    stop.set()
    runner.join(30)
    # Restarted 1 s, then 2 s, then 4 s after each death: twice in 7.5 s, not every second.
    assert 2 <= group.restarts <= 3, group.restarts
