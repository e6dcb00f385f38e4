"""The simulator's knobs: throttling, faults, Live Events, and the admin token.

One pydantic model per concern so that the CLI, the ``/sim`` control endpoint and
:func:`sandbox.canvas.testing.running_simulator` share the same validation.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ThrottleConfig(BaseModel):
    """Canvas's leaky-bucket settings (``request_throttle.*`` in canvas-lms), per token."""

    enabled: bool = True
    hwm: float = Field(
        600.0, gt=0, description="High-water mark: at or above it the bucket is full."
    )
    maximum: float = Field(800.0, gt=0, description="The bucket never holds more than this.")
    outflow: float = Field(10.0, ge=0, description="Units drained per second.")
    up_front_cost: float = Field(50.0, ge=0, description="Held while a request is in flight.")
    cost_weight: float = Field(1.0, ge=0, description="Cost per second of handler time.")
    extra_cost: float = Field(
        0.1,
        ge=0,
        description="Fixed cost added to every request (Canvas's extra-request-cost).",
    )
    """Why 0.1: our handlers take about a millisecond, so without a fixed cost only requests in
    flight (their up-front cost) ever fill the bucket and any volume of one-at-a-time requests
    passes. Canvas charges CPU plus database time, tens of milliseconds for a typical call.
    Measured here: one sequential client makes 1,000 requests in about 2 s (some 500/s), and
    1,000 x 0.1 = 100 minus what drains in those 2 s leaves the bucket near 80, far from the
    550 at which the next up-front cost reaches the high-water mark; the bound is 0.55 at any
    client speed. Beyond that, what the token sustains is ``outflow / extra_cost`` = 100
    requests/s; faster, the bucket fills (at 500/s after some 6,000 back-to-back requests).
    32 threads with 20 calls each are refused mostly for their up-front costs in flight."""


class FaultConfig(BaseModel):
    """Failures a proxy in front of Canvas can produce, as shares of ``/api/v1`` requests."""

    error_rate: float = Field(0.0, ge=0, le=1, description="Share answered 500/502/503.")
    error_statuses: list[int] = Field(default_factory=lambda: [500, 502, 503])
    drop_rate: float = Field(0.0, ge=0, le=1, description="Share whose connection is dropped.")
    after_effect_share: float = Field(
        0.5, ge=0, le=1, description="Of the faults, the share injected after the write committed."
    )
    latency_ms: float = Field(0.0, ge=0, description="Added to every request.")
    latency_jitter_ms: float = Field(0.0, ge=0, description="Uniform extra latency up to this.")
    seed: int | None = Field(None, description="Seed of the fault dice, for repeatable runs.")


class LiveEventsConfig(BaseModel):
    """Where and how Live Events are delivered (nothing is sent without a URL)."""

    webhook_url: str = ""
    signing_key: str = Field("", description="HS256 key; empty sends the plain JSON envelope.")
    key_id: str = Field("sim-1", description="``kid`` header of signed events (keys rotate).")
    duplicate_share: float = Field(0.0, ge=0, le=1, description="Share of events sent twice.")
    reorder_window: int = Field(
        1, ge=1, description="Events gathered and shuffled before delivery (1 keeps order)."
    )
    retries: int = Field(3, ge=0, description="Further attempts after a failed delivery.")
    retry_delay_s: float = Field(0.2, ge=0)
    timeout_s: float = Field(15.0, gt=0)
    seed: int | None = None


class SimConfig(BaseModel):
    """Everything one simulator instance needs besides its database path."""

    token: str = "bca-dev-admin-token"
    throttle: ThrottleConfig = Field(default_factory=ThrottleConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
    live_events: LiveEventsConfig = Field(default_factory=LiveEventsConfig)
    migration_delay_s: float = Field(
        0.05, ge=0, description="How long a course copy stays 'running' before it completes."
    )
