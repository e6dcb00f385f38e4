"""Simulator-only control endpoints under ``/sim`` (never under ``/api/v1``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from sandbox.canvas.activity import ActivityRequest, simulate
from sandbox.canvas.auth import require_admin
from sandbox.canvas.config import FaultConfig, LiveEventsConfig, ThrottleConfig
from sandbox.canvas.errors import bad_request
from sandbox.canvas.routes.common import Sim

router = APIRouter(prefix="/sim", dependencies=[Depends(require_admin)])


@router.get("/faults")
def get_faults(sim: Sim) -> dict[str, Any]:
    """The fault configuration in force and how many faults were injected so far."""
    return {"config": sim.dice.config.model_dump(), "injected": dict(sim.dice.injected)}


@router.put("/faults")
def set_faults(config: FaultConfig, sim: Sim) -> dict[str, Any]:
    """Replace the fault configuration (JSON body; omitted fields take their defaults)."""
    sim.dice.configure(config)
    return get_faults(sim)


@router.get("/requests")
def request_counts(sim: Sim) -> dict[str, object]:
    """``/api/`` requests answered so far, the 429s among them, and counts by status."""
    return sim.requests.snapshot()


@router.put("/throttle")
def set_throttle(config: ThrottleConfig, sim: Sim) -> dict[str, Any]:
    """Replace the throttle settings and empty every bucket."""
    sim.buckets.config = config
    sim.buckets.reset()
    return config.model_dump()


@router.put("/live_events")
def set_live_events(config: LiveEventsConfig, sim: Sim) -> dict[str, Any]:
    """Replace the Live Events delivery settings."""
    sim.events.configure(config)
    return config.model_dump()


@router.get("/live_events/stats")
def live_event_stats(sim: Sim) -> dict[str, int]:
    """Counts of queued, delivered, duplicated and failed Live Event deliveries."""
    return dict(sim.events.stats)


@router.post("/courses/{course_ref}/activity")
def simulate_activity(course_ref: str, body: ActivityRequest, sim: Sim) -> dict[str, Any]:
    """Simulate student activity in a course over ``days`` days, deterministic by ``seed``."""
    try:
        return simulate(sim, course_ref, body)
    except ValueError as exc:
        raise bad_request(str(exc)) from None
