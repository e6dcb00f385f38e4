"""``GET /metrics`` in the Prometheus text format, from a registry owned by one app.

Request counts and latency by route template (not raw path, so ids do not explode the label
set), plus figures read at scrape time: inbox events by status, approvals pending, and the
drafter's (whether it is in template mode; calls, fallbacks by reason, tokens and latency over
the newest drafts of every process). Each app
has its own registry, so several apps in one process (tests) never share counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.drafting import draft_figures
from runtime.api.services import Services
from runtime.chat.figures import ANSWER_WINDOW, chat_figures
from runtime.draft_log import drafter_status

router = APIRouter(tags=["operations"])


class StateCollector(Collector):
    """Inbox and approval figures, read when Prometheus scrapes."""

    def __init__(self, services: Callable[[], Services]) -> None:
        self.services = services  # a getter: the services exist once the app has started

    def collect(self) -> Iterator[Metric]:
        """One gauge family per figure."""
        services = self.services()
        inbox = GaugeMetricFamily("bca_inbox_events", "Inbox events by status.", labels=["status"])
        for name, count in services.inbox.counts().items():
            inbox.add_metric([name], count)
        yield inbox
        yield GaugeMetricFamily(
            "bca_approvals_pending",
            "Approval requests waiting for a person.",
            value=services.desk.count(),
        )
        yield from _drafting(services)
        yield from _chat(services)


DRAFT_WINDOW = 5000
"""Drafts the drafting figures are taken over (the newest, of every process)."""


def _drafting(services: Services) -> Iterator[Metric]:
    status = drafter_status(services.settings, services.drafts)
    yield GaugeMetricFamily(
        "bca_drafter_template_mode",
        "1 while drafts come from templates (no model, or the circuit breaker is open).",
        value=0 if status.mode == "model" else 1,
    )
    figures = draft_figures(services.drafts.newest(DRAFT_WINDOW))
    window = f"over the newest {DRAFT_WINDOW} drafts"
    yield GaugeMetricFamily("bca_model_calls", f"Model calls {window}.", value=figures.model_calls)
    fallbacks = GaugeMetricFamily(
        "bca_draft_fallbacks", f"Drafts the template wrote, by reason, {window}.", labels=["reason"]
    )
    for reason, count in figures.fallbacks.items():
        fallbacks.add_metric([reason], count)
    yield fallbacks
    tokens = GaugeMetricFamily("bca_model_tokens", f"Model tokens {window}.", labels=["direction"])
    tokens.add_metric(["in"], figures.tokens_in)
    tokens.add_metric(["out"], figures.tokens_out)
    yield tokens
    latency = GaugeMetricFamily(
        "bca_model_latency_ms", f"Model call latency quantiles {window}.", labels=["quantile"]
    )
    for quantile, value in (("0.5", figures.latency_p50_ms), ("0.95", figures.latency_p95_ms)):
        if value is not None:
            latency.add_metric([quantile], value)
    yield latency


def _chat(services: Services) -> Iterator[Metric]:
    figures = chat_figures(services.app_engine)
    window = f"over the newest {ANSWER_WINDOW} answers"
    yield GaugeMetricFamily(
        "bca_chat_conversations", "Support chat conversations kept.", value=figures.conversations
    )
    if figures.deflection is not None:
        yield GaugeMetricFamily(
            "bca_chat_deflection",
            "Share of closed conversations that ended without a hand-off.",
            value=figures.deflection,
        )
    yield GaugeMetricFamily(
        "bca_chat_cases_open", "Help-desk cases waiting for a person.", value=figures.cases_open
    )
    reasons = GaugeMetricFamily(
        "bca_chat_handoffs", "Hand-off cases kept, by reason.", labels=["reason"]
    )
    for reason, count in figures.handoff_reasons.items():
        reasons.add_metric([reason], count)
    yield reasons
    latency = GaugeMetricFamily(
        "bca_chat_answer_latency_ms", f"Answer latency quantiles {window}.", labels=["quantile"]
    )
    for quantile, value in (("0.5", figures.latency_p50_ms), ("0.95", figures.latency_p95_ms)):
        if value is not None:
            latency.add_metric([quantile], value)
    yield latency
    if figures.tokens_per_answer is not None:
        yield GaugeMetricFamily(
            "bca_chat_tokens_per_answer", f"Mean tokens per answer {window}.",
            value=figures.tokens_per_answer,
        )  # fmt: skip


class Metrics:
    """The app's registry and its request instruments."""

    def __init__(self, services: Callable[[], Services]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bca_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "bca_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.registry.register(StateCollector(services))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one finished request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


class MetricsMiddleware:
    """Pure ASGI middleware (cheaper than ``BaseHTTPMiddleware``) timing every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and label it by the matched route's template."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(request: Request) -> Response:
    """Request counts and latency, inbox events by status, approvals pending."""
    registry: CollectorRegistry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
