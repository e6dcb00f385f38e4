"""`bca` commands for the canvas area: the Canvas simulator and what drives it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runtime.cli.checks import Port


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    root.command("canvas-sim")(canvas_sim)


def canvas_sim(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Port = 8900,
    token: Annotated[str, typer.Option(help="The admin access token.")] = "bca-dev-admin-token",
    db: Annotated[Path, typer.Option(help="SQLite file holding the simulated Canvas.")] = Path(
        "var/canvas-sim.db"
    ),
    throttle: Annotated[bool, typer.Option(help="Apply Canvas's request throttle.")] = True,
    hwm: Annotated[float, typer.Option(help="Throttle high-water mark.")] = 600.0,
    maximum: Annotated[float, typer.Option(help="Throttle bucket maximum.")] = 800.0,
    outflow: Annotated[float, typer.Option(help="Throttle drain per second.")] = 10.0,
    up_front_cost: Annotated[float, typer.Option(help="Cost held while a request runs.")] = 50.0,
    extra_cost: Annotated[float, typer.Option(help="Fixed cost added to every request.")] = 0.1,
    webhook_url: Annotated[str, typer.Option(help="Live Events receiver (empty: none).")] = "",
    signing_key: Annotated[str, typer.Option(help="HS256 key signing Live Events.")] = "",
    duplicate_share: Annotated[float, typer.Option(help="Share of Live Events sent twice.")] = 0.0,
    reorder_window: Annotated[int, typer.Option(help="Live Events shuffled per window.")] = 1,
    error_rate: Annotated[float, typer.Option(help="Share of API requests answered 5xx.")] = 0.0,
    drop_rate: Annotated[float, typer.Option(help="Share of API requests dropped.")] = 0.0,
    after_effect_share: Annotated[
        float, typer.Option(help="Of the faults, the share injected after the effect.")
    ] = 0.5,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every API request.")] = 0.0,
    fault_seed: Annotated[int | None, typer.Option(help="Seed of the fault dice.")] = None,
) -> None:
    """Serve the Canvas simulator (the Canvas REST API canvasapi speaks) until interrupted."""
    import uvicorn

    from sandbox.canvas.app import create_app
    from sandbox.canvas.config import FaultConfig, LiveEventsConfig, SimConfig, ThrottleConfig

    config = SimConfig(
        token=token,
        throttle=ThrottleConfig(
            enabled=throttle,
            hwm=hwm,
            maximum=maximum,
            outflow=outflow,
            up_front_cost=up_front_cost,
            extra_cost=extra_cost,
        ),
        faults=FaultConfig(
            error_rate=error_rate,
            drop_rate=drop_rate,
            after_effect_share=after_effect_share,
            latency_ms=latency_ms,
            seed=fault_seed,
        ),
        live_events=LiveEventsConfig(
            webhook_url=webhook_url,
            signing_key=signing_key,
            duplicate_share=duplicate_share,
            reorder_window=reorder_window,
        ),
    )
    uvicorn.run(create_app(db, config), host=host, port=port, log_level="warning")
