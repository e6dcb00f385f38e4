"""The registrar's chat figures, read from the chat tables (the page and ``/metrics``).

Deflection is the share of closed conversations that ended without a hand-off: the questions
the assistant settled alone. Latency and tokens are per assistant answer, over the newest
``window`` answers of every process.
"""

from __future__ import annotations

from statistics import fmean, quantiles

from pydantic import BaseModel
from sqlalchemy import Engine, func, select

from runtime.chat.tables import support_cases, support_conversations, support_messages

ANSWER_WINDOW = 5000


class ChatFigures(BaseModel):
    """Counts and shares of the support chat."""

    conversations: int
    closed: int
    handed_off: int
    deflection: float | None
    cases_open: int
    handoff_reasons: dict[str, int]
    answers: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    tokens_per_answer: float | None


def _quantile(values: list[float], q: int) -> float | None:
    """The q-th percentile (inclusive method), or the only value, or None."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=100, method="inclusive")[q - 1]


def chat_figures(engine: Engine, window: int = ANSWER_WINDOW) -> ChatFigures:
    """The figures as the tables say now."""
    c, m, k = support_conversations, support_messages, support_cases
    with engine.connect() as conn:
        total, closed, deflected, handed = conn.execute(
            select(
                func.count(),
                func.count().filter(c.c.closed.is_(True)),
                func.count().filter(c.c.closed.is_(True), c.c.handed_off.is_(False)),
                func.count().filter(c.c.handed_off.is_(True)),
            ).select_from(c)
        ).one()
        counted = select(k.c.reason, func.count().label("n")).group_by(k.c.reason)
        reasons = {str(row.reason): int(row.n) for row in conn.execute(counted)}
        cases_open = conn.execute(
            select(func.count()).select_from(k).where(k.c.status == "open")
        ).scalar_one()
        answers = conn.execute(
            select(m.c.latency_ms, m.c.tokens)
            .where(m.c.role == "assistant")
            .order_by(m.c.at.desc())
            .limit(window)
        ).all()
    latencies = sorted(float(a.latency_ms) for a in answers if a.latency_ms is not None)
    tokens = [int(a.tokens) for a in answers if a.tokens is not None]
    return ChatFigures(
        conversations=total,
        closed=closed,
        handed_off=handed,
        deflection=deflected / closed if closed else None,
        cases_open=cases_open,
        handoff_reasons=reasons,
        answers=len(answers),
        latency_p50_ms=_quantile(latencies, 50),
        latency_p95_ms=_quantile(latencies, 95),
        tokens_per_answer=fmean(tokens) if tokens else None,
    )
