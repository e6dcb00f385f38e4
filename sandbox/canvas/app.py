"""The simulator's FastAPI application factory.

Middleware order, outermost first: the request counts (what a client was answered), faults (a
proxy in front of Canvas), then the request throttle, then the routes. Injected proxy faults
therefore carry no Canvas headers, like a real 502 from a load balancer; every answer that
Canvas itself gives (including 401, 404 and 429) carries ``X-Request-Cost`` and
``X-Rate-Limit-Remaining``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from sandbox.canvas import errors
from sandbox.canvas.config import SimConfig
from sandbox.canvas.faults import FaultMiddleware
from sandbox.canvas.routes import (
    accounts,
    assignments,
    control,
    conversations,
    courses,
    enrollments,
    modules,
    sis_imports,
)
from sandbox.canvas.simulator import Simulator
from sandbox.canvas.sis_import import SisImporter
from sandbox.canvas.throttle import ThrottleMiddleware
from sandbox.canvas.traffic import CountingMiddleware


def create_app(db_path: Path, config: SimConfig | None = None) -> FastAPI:
    """A simulator app over the SQLite file ``db_path`` (created and seeded if new)."""
    sim = Simulator(db_path, config or SimConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        sim.close()

    app = FastAPI(title="Canvas simulator", lifespan=lifespan, openapi_url="/sim/openapi.json")
    app.state.sim = sim
    app.state.sis_importer = SisImporter(sim)
    errors.install(app)
    for module in (
        accounts,
        courses,
        enrollments,
        assignments,
        modules,
        conversations,
        sis_imports,
        control,
    ):
        app.include_router(module.router)
    app.add_middleware(ThrottleMiddleware, buckets=sim.buckets)
    app.add_middleware(FaultMiddleware, dice=sim.dice)
    app.add_middleware(CountingMiddleware, counts=sim.requests)
    return app
