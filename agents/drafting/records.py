"""What every draft leaves behind: one record per draft, and the figures made from them.

The records are the drafter's memory across processes: the circuit breaker reads the newest
attempts, ``/metrics`` and the demo summary count calls, fallbacks by reason, tokens and
latency. Agents only declare the log (:class:`DraftLog`); the composition root stores it in the
app database, tests and benchmarks use :class:`MemoryDraftLog`.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

OK = "model"
"""The outcome of a draft the model wrote and the checks accepted."""


class DraftRecord(BaseModel):
    """One draft: where it came from and what it cost."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    prompt_ref: str
    model: str | None
    outcome: str = Field(description="'model', 'template' (no model configured) or the reason.")
    attempted: bool = Field(description="Whether a model call was made (not template mode).")
    failed: bool = Field(description="Whether the model failed to answer (the breaker counts it).")
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0


class DraftLog(Protocol):
    """Where drafts are recorded and the breaker looks back."""

    def record(self, entry: DraftRecord) -> None:
        """Keep one record."""
        ...

    def recent_attempts(self, limit: int) -> Sequence[DraftRecord]:
        """The newest ``limit`` records with a model call, newest first."""
        ...


class MemoryDraftLog:
    """A :class:`DraftLog` in memory (one process; tests, benchmarks, the default)."""

    def __init__(self, keep: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[DraftRecord] = deque(maxlen=keep)

    def record(self, entry: DraftRecord) -> None:
        """Keep one record (the oldest beyond ``keep`` are forgotten)."""
        with self._lock:
            self._records.append(entry)

    def recent_attempts(self, limit: int) -> list[DraftRecord]:
        """The newest ``limit`` attempted records, newest first."""
        with self._lock:
            attempts = [r for r in reversed(self._records) if r.attempted]
        return attempts[:limit]

    def all(self) -> list[DraftRecord]:
        """Every kept record, oldest first."""
        with self._lock:
            return list(self._records)


class DraftFigures(BaseModel):
    """The figures of a set of drafts (a run, a demo, the whole log)."""

    drafts: int
    model_calls: int
    from_model: int
    fallbacks: dict[str, int]
    tokens_in: int
    tokens_out: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None


def _quantile(sorted_values: Sequence[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return round(sorted_values[index], 1)


def draft_figures(records: Iterable[DraftRecord]) -> DraftFigures:
    """Counts, fallbacks by reason, tokens and latency quantiles of the model calls."""
    rows = list(records)
    calls = sorted(r.latency_ms for r in rows if r.attempted)
    fallbacks = Counter(r.outcome for r in rows if r.outcome not in (OK, "template"))
    return DraftFigures(
        drafts=len(rows),
        model_calls=len(calls),
        from_model=sum(r.outcome == OK for r in rows),
        fallbacks=dict(sorted(fallbacks.items())),
        tokens_in=sum(r.tokens_in for r in rows),
        tokens_out=sum(r.tokens_out for r in rows),
        latency_p50_ms=_quantile(calls, 0.5),
        latency_p95_ms=_quantile(calls, 0.95),
    )
