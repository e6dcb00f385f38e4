"""Live Events delivered to a webhook, the way Canvas's HTTPS Live Events stream behaves.

Each event is one POST of the envelope ``{"metadata": {...}, "body": {...}}`` with every id as a
string. Metadata carries ``event_name, event_time, root_account_id, user_id, user_sis_id,
context_type, context_id, request_id`` (plus ``producer`` and ``hostname``), and
``context_sis_source_id`` when the context is a course with an SIS id: Canvas leaves the key out
for other contexts and for courses without one, so receivers can address a course by its SIS id.

When a signing key is configured the POST body is instead a compact JWT (HS256, header ``kid``
naming the key so receivers can rotate), ``Content-Type: application/jwt``, whose claims are the
envelope plus ``iat``; receivers verify it with the shared key and read ``metadata``/``body``.

Delivery runs on a background thread: **at least once, not in order**. A configurable share of
events is sent twice; events are gathered in windows of ``reorder_window`` and shuffled; a failed
POST (connection error or non-2xx) is retried ``retries`` times, then dropped and counted.
"""

from __future__ import annotations

import json
import queue
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

from sandbox.canvas.config import LiveEventsConfig
from sandbox.canvas.storage import ROOT_ACCOUNT_ID, utcnow


@dataclass
class LiveEvent:
    """One event before delivery."""

    name: str
    body: dict[str, Any]
    context_type: str
    context_id: int
    user_id: int | None
    user_sis_id: str | None
    request_id: str
    event_time: str = field(default_factory=utcnow)
    context_sis_source_id: str | None = None

    def envelope(self) -> dict[str, Any]:
        """The Canvas envelope, ids as strings."""
        metadata: dict[str, Any] = {
            "event_name": self.name,
            "event_time": self.event_time,
            "root_account_id": str(ROOT_ACCOUNT_ID),
            "user_id": _str_id(self.user_id),
            "user_sis_id": self.user_sis_id,
            "context_type": self.context_type,
            "context_id": str(self.context_id),
            "request_id": self.request_id,
            "producer": "canvas",
            "hostname": socket.gethostname(),
        }
        if self.context_sis_source_id is not None:
            metadata["context_sis_source_id"] = self.context_sis_source_id
        return {
            "metadata": metadata,
            "body": {k: _str_id(v) if k.endswith("_id") else v for k, v in self.body.items()},
        }


def _str_id(value: Any) -> Any:
    return None if value is None else str(value)


def new_request_id() -> str:
    """A request id shared by the events one API request causes."""
    return str(uuid.uuid4())


class LiveEventSender:
    """Queue and background thread delivering events to the configured webhook."""

    def __init__(self, config: LiveEventsConfig) -> None:
        self.config = config
        self._queue: queue.Queue[LiveEvent | None] = queue.Queue()
        self._random = random.Random(config.seed)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.stats = {"queued": 0, "delivered": 0, "duplicated": 0, "failed": 0}

    def configure(self, config: LiveEventsConfig) -> None:
        """Replace the delivery settings (control endpoint)."""
        with self._lock:
            self.config = config
            self._random = random.Random(config.seed)

    def publish(self, events: list[LiveEvent]) -> None:
        """Hand committed events to the delivery thread; nothing happens without a webhook."""
        if not self.config.webhook_url or not events:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="canvas-sim-live-events", daemon=True
                )
                self._thread.start()
        for event in events:
            with self._lock:
                self.stats["queued"] += 1
            self._queue.put(event)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event was delivered or given up; True when idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        """Stop the delivery thread after what is queued."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _next_window(self) -> list[LiveEvent | None]:
        first = self._queue.get()
        window: list[LiveEvent | None] = [first]
        deadline = time.monotonic() + 0.05
        while first is not None and len(window) < self.config.reorder_window:
            try:
                window.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return window

    def _run(self) -> None:
        with httpx.Client(timeout=self.config.timeout_s) as client:
            while True:
                window = self._next_window()
                events = [e for e in window if e is not None]
                with self._lock:
                    self._random.shuffle(events)
                    doubles = [
                        e for e in events if self._random.random() < self.config.duplicate_share
                    ]
                for event in events + doubles:
                    self._deliver(client, event)
                with self._lock:
                    self.stats["duplicated"] += len(doubles)
                for _ in window:
                    self._queue.task_done()
                if len(events) < len(window):
                    return

    def _deliver(self, client: httpx.Client, event: LiveEvent) -> None:
        config = self.config
        envelope = event.envelope()
        if config.signing_key:
            claims = {**envelope, "iat": int(time.time())}
            content = jwt.encode(
                claims, config.signing_key, algorithm="HS256", headers={"kid": config.key_id}
            ).encode()
            headers = {"Content-Type": "application/jwt"}
        else:
            content = json.dumps(envelope).encode()
            headers = {"Content-Type": "application/json"}
        for attempt in range(config.retries + 1):
            try:
                response = client.post(config.webhook_url, content=content, headers=headers)
                if 200 <= response.status_code < 300:
                    with self._lock:
                        self.stats["delivered"] += 1
                    return
            except httpx.HTTPError:
                pass
            if attempt < config.retries:
                time.sleep(config.retry_delay_s * (attempt + 1))
        with self._lock:
            self.stats["failed"] += 1
