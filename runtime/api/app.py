"""The FastAPI application: webhooks, approvals, events, audit, health, metrics, dashboard.

``create_app(settings)`` builds one app around one deployment's databases; the top-level
``app.py`` (``uvicorn app:app``, ``bca serve``) builds it from the ``BCA_`` settings.
Connections are opened in the lifespan, not at import, so a Banner that is down makes
``/health`` answer 503 instead of stopping the process.

Errors this project raises on purpose become HTTP answers here, in one table: not found 404,
out of scope 403, expired 409, an invalid status change 409, a malformed answer 422, an
unreachable service 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError

from core.db import make_engine
from core.errors import BcaError, NotFoundError, ServiceUnavailable, ValidationFailed
from core.settings import Settings
from policies.audit import AuditLog
from policies.pii.logs import install_log_redaction
from policies.profile_fields import load_profile_fields
from policies.scope import BannerDirectory
from runtime import pipeline
from runtime.api import (
    analytics,
    approvals,
    audit,
    chat,
    dashboard,
    events,
    health,
    help_pages,
    metrics,
    rollout_pages,
    student_pages,
    students,
    support_pages,
)
from runtime.api.auth import TokenVerifier
from runtime.api.links import add_links
from runtime.api.queue import (
    ApprovalDesk,
    ApprovalQueue,
    OutOfScope,
    RequestExpired,
)
from runtime.api.security import SecurityMiddleware
from runtime.api.services import LazyChat, Services
from runtime.chat import ChatRateLimited, ChatService, MessageTooLong
from runtime.chat.factory import build_chat_service
from runtime.chat.tables import create_schema as create_chat_schema
from runtime.contracts import SealedContractStore
from runtime.draft_log import SqlDraftLog
from runtime.inbox import Inbox, InvalidTransition
from runtime.intake.canvas import LiveEventsConfig
from runtime.intake.ethos import EthosConfig
from runtime.intake.replay import reparser
from runtime.ledger import RunLedger
from runtime.student_profiles import ProfileService
from runtime.webhooks import webhooks_router
from tools.banner.search.index import StudentSearchIndex
from tools.canvas.client import CanvasClient
from tools.canvas.session import INTERACTIVE_RETRY

QueueFactory = Callable[[Settings], AbstractContextManager[ApprovalQueue]]
"""Opens the approval queue for the app's lifetime (the checkpointer is a resource)."""
ChatFactory = Callable[[Settings], ChatService]
"""Builds the chat service on first use (the agent, the redactor, Canvas)."""

STATIC_DIR = Path(__file__).parent / "static"

_STATUS_OF: dict[type[BcaError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    OutOfScope: status.HTTP_403_FORBIDDEN,
    RequestExpired: status.HTTP_409_CONFLICT,
    InvalidTransition: status.HTTP_409_CONFLICT,
    ValidationFailed: status.HTTP_422_UNPROCESSABLE_CONTENT,
    ServiceUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}

TAGS = [
    {"name": "approvals", "description": "Decide what the agents asked a person to approve."},
    {"name": "events", "description": "The inbox of Banner and Canvas events (staff only)."},
    {"name": "audit", "description": "The tamper-evident audit trail (registrar, admin)."},
    {"name": "webhooks", "description": "Canvas Live Events intake."},
    {"name": "operations", "description": "Health and Prometheus metrics."},
    {"name": "chat", "description": "The student support assistant and its help desk."},
    {"name": "students", "description": "Staff student search and read-only profile."},
    {"name": "dashboard", "description": "Server-rendered pages for people."},
]


def _status_of(exc: BcaError) -> int:
    """The HTTP status of the most specific class in the table (InvalidTransition before 422)."""
    for cls in type(exc).__mro__:
        if cls in _STATUS_OF:
            return _STATUS_OF[cls]
    return status.HTTP_400_BAD_REQUEST


async def _project_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BcaError)
    return JSONResponse({"detail": str(exc)}, status_code=_status_of(exc))


def _documented_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The schema FastAPI builds, with the 422 body as the app really sends it, and links.

    Request validation answers a list of field errors; a rule the project checks itself
    (:class:`ValidationFailed`) answers one sentence. Clients (and schemathesis) must be told
    both, or every documented 422 of a route with such a rule would be a lie.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            error = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
            if error is not None:
                listed = error["properties"]["detail"]
                error["properties"]["detail"] = {
                    "anyOf": [
                        {k: v for k, v in listed.items() if k != "title"},
                        {"type": "string"},
                    ],
                    "title": "Detail",
                }
            add_links(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    return JSONResponse(
        {"detail": f"a database is unavailable: {reason}"},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


def create_app(
    settings: Settings,
    *,
    approval_queue: QueueFactory = pipeline.approval_queue,
    chat_service: ChatFactory = build_chat_service,
    live_events: LiveEventsConfig | None = None,
) -> FastAPI:
    """One app for one deployment.

    ``approval_queue`` opens the queue of paused graphs; ``chat_service`` builds the support
    chat on its first request; ``live_events`` defaults to the ``BCA_CANVAS_LIVE_EVENTS_*``
    settings (``bca up`` passes the key it gave its simulator).
    """
    live = live_events or LiveEventsConfig()
    install_log_redaction(settings.banner_id_pattern)
    app_engine = make_engine(settings.database_url, check=False, pool_pre_ping=True)
    banner_engine = make_engine(settings.banner_url, check=False, pool_pre_ping=True)
    inbox = Inbox(app_engine)
    audit_log = AuditLog(app_engine)
    drafts = SqlDraftLog(app_engine)
    lazy_chat = LazyChat(chat_service, settings)
    search_index = StudentSearchIndex(app_engine)
    profile_fields = load_profile_fields()
    canvas = cache(lambda: CanvasClient.from_settings(settings, retry=INTERACTIVE_RETRY))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            inbox.create_schema()
            audit_log.create()
            RunLedger(app_engine).create_schema()
            drafts.create_schema()
            create_chat_schema(app_engine)
            search_index.create()
            with approval_queue(settings) as queue:
                app.state.services = Services(
                    settings=settings,
                    app_engine=app_engine,
                    banner_engine=banner_engine,
                    inbox=inbox,
                    audit=audit_log,
                    desk=ApprovalDesk(queue, audit_log, BannerDirectory(banner_engine)),
                    reparse=reparser(canvas_config=live, ethos_ids=EthosConfig().resolver()),
                    drafts=drafts,
                    chat=lazy_chat,
                    profiles=ProfileService(
                        banner=banner_engine,
                        index=search_index,
                        audit=audit_log,
                        fields=profile_fields,
                        canvas=canvas,
                        approvals=lambda pidm: [p.request for p in queue.about(pidm)],
                    ),
                    contracts=SealedContractStore.from_settings(settings, app_engine),
                    agents=(
                        queue.agents().run
                        if isinstance(queue, pipeline.VaultedApprovalQueue)
                        else None
                    ),
                )
                yield
        finally:
            lazy_chat.close()
            app_engine.dispose()
            banner_engine.dispose()

    app = FastAPI(
        title="banner-canvas-agents",
        summary="Event-driven agents between Banner and Canvas, behind one policy guard.",
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.openapi = _documented_openapi(app)  # type: ignore[method-assign]
    app.state.verifier = TokenVerifier(settings)
    app.state.metrics = metrics.Metrics(lambda: app.state.services)
    app.add_middleware(metrics.MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityMiddleware, settings=settings, verifier=app.state.verifier)
    app.add_exception_handler(BcaError, _project_error)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(MessageTooLong, chat.too_long)
    app.add_exception_handler(ChatRateLimited, chat.rate_limited)
    app.include_router(webhooks_router(inbox, live))
    for router in (
        health.router,
        metrics.router,
        analytics.router,
        approvals.router,
        events.router,
        audit.router,
        chat.router,
        dashboard.router,
        support_pages.router,
        rollout_pages.router,
        help_pages.router,
        students.router,
        student_pages.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
