"""The state one simulator instance shares between its routes, middlewares and workers."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from sandbox.canvas.config import SimConfig
from sandbox.canvas.faults import FaultDice
from sandbox.canvas.live_events import LiveEvent, LiveEventSender, new_request_id
from sandbox.canvas.storage import ADMIN_USER_ID, Store
from sandbox.canvas.throttle import LeakyBuckets
from sandbox.canvas.traffic import RequestCounts


@dataclass
class Tx:
    """A write transaction plus the Live Events it causes, published only after commit."""

    conn: sqlite3.Connection
    request_id: str = field(default_factory=new_request_id)
    events: list[LiveEvent] = field(default_factory=list)

    def emit(
        self,
        name: str,
        body: dict[str, Any],
        *,
        context_type: str,
        context_id: int,
        user_id: int | None = ADMIN_USER_ID,
        user_sis_id: str | None = None,
    ) -> None:
        """Record an event of this transaction, with its course's SIS id as Canvas adds it."""
        sis_id = self._course_sis_id(context_id) if context_type == "Course" else None
        self.events.append(
            LiveEvent(
                name,
                body,
                context_type,
                context_id,
                user_id,
                user_sis_id,
                self.request_id,
                context_sis_source_id=sis_id,
            )
        )

    def _course_sis_id(self, course_id: int) -> str | None:
        row = self.conn.execute(
            "SELECT sis_course_id FROM courses WHERE id = ?", (course_id,)
        ).fetchone()
        return str(row[0]) if row is not None and row[0] else None


class Simulator:
    """Configuration, database, throttle, faults, request counts, Live Events, background jobs."""

    def __init__(self, db_path: Path, config: SimConfig) -> None:
        self.config = config
        self.store = Store(db_path)
        self.buckets = LeakyBuckets(config.throttle)
        self.dice = FaultDice(config.faults)
        self.requests = RequestCounts()
        self.events = LiveEventSender(config.live_events)
        self._jobs = ThreadPoolExecutor(max_workers=2, thread_name_prefix="canvas-sim-job")

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A write transaction whose events are published once it commits."""
        with self.store.write() as conn:
            tx = Tx(conn)
            yield tx
        self.events.publish(tx.events)

    def submit_job(self, job: Callable[[], None]) -> Future[None]:
        """Run a background job (SIS import, course copy) off the request thread."""
        return self._jobs.submit(job)

    def close(self) -> None:
        """Finish background work and release the database."""
        self._jobs.shutdown(wait=True)
        self.events.stop()
        self.store.close()


def get_sim(request: Request) -> Simulator:
    """FastAPI dependency: the simulator of the app serving the request."""
    sim: Simulator = request.app.state.sim
    return sim
