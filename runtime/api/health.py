"""``GET /health``: does every component the service depends on answer right now.

Checked on each call: the app database (inbox, audit trail), Banner, and the broker when one is
configured. Any one down gives 503 naming it, so a load balancer stops routing here and an
operator sees which dependency to look at; the others are still reported. The drafter's state
(the model, or template mode while its circuit breaker cools down) is reported beside them but
never makes the service unavailable: drafts fall back to templates and the rules go on. So do
the operations notifications' outbox counts (pending, sent, dead) when channels are configured:
a dead message is for an operator to look at, not a reason to stop routing here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Literal

import aio_pika
from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from runtime.api.services import Deps
from runtime.draft_log import DrafterStatus, drafter_status
from runtime.notify.outbox import Outbox

CHECK_TIMEOUT_SECONDS = 3.0

router = APIRouter(tags=["operations"])


class Component(BaseModel):
    """One dependency's state."""

    ok: bool
    latency_ms: float
    detail: str = ""


class Health(BaseModel):
    """The service's state: ``ok`` only when every component is."""

    status: Literal["ok", "unavailable"]
    components: dict[str, Component]
    drafter: DrafterStatus | None = None
    notifications: dict[str, int] | None = None


def _ping_database(engine: Engine) -> None:
    probe = "SELECT 1 FROM DUAL" if engine.dialect.name == "oracle" else "SELECT 1"
    with engine.connect() as conn:
        conn.execute(text(probe))


async def _ping_broker(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=CHECK_TIMEOUT_SECONDS)
    await connection.close()


async def _check(probe: Callable[[], Awaitable[None]]) -> Component:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        detail = f"no answer within {CHECK_TIMEOUT_SECONDS:.0f} s"
    except Exception as exc:  # any failure to answer is the finding; the message says which
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    else:
        detail = ""
    latency = round((time.perf_counter() - started) * 1000, 2)
    return Component(ok=not detail, latency_ms=latency, detail=detail)


@router.get(
    "/health",
    summary="Health of the app database, Banner and the broker",
    response_model=Health,
    responses={503: {"model": Health, "description": "A component is down (named)."}},
)
async def health(deps: Deps) -> JSONResponse:
    """200 when every component answers, 503 naming the ones that do not."""
    probes: dict[str, Callable[[], Awaitable[None]]] = {
        "app_database": lambda: run_in_threadpool(_ping_database, deps.app_engine),
        "banner": lambda: run_in_threadpool(_ping_database, deps.banner_engine),
    }
    if deps.settings.broker_url:
        probes["broker"] = lambda: _ping_broker(deps.settings.broker_url)
    results = await asyncio.gather(*(_check(p) for p in probes.values()))
    components = dict(zip(probes, results, strict=True))
    ok = all(c.ok for c in components.values())
    drafter = notifications = None
    if components["app_database"].ok:
        drafter = await run_in_threadpool(drafter_status, deps.settings, deps.drafts)
        if deps.settings.notify_channels:
            outbox = Outbox(deps.app_engine)
            notifications = dict(await run_in_threadpool(outbox.counts))
    body = Health(
        status="ok" if ok else "unavailable",
        components=components,
        drafter=drafter,
        notifications=notifications,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE,
    )
