"""Run the simulator inside a test: uvicorn on a free loopback port in a background thread.

Example::

    with running_simulator(tmp_path / "canvas.db") as sim:
        canvas = Canvas(sim.base_url, sim.token)
        sim.set_faults(error_rate=0.1, seed=7)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sandbox.canvas.app import create_app
from sandbox.canvas.config import FaultConfig, LiveEventsConfig, SimConfig, ThrottleConfig
from sandbox.canvas.simulator import Simulator
from sandbox.serving import free_port, serving


@dataclass
class SimulatorHandle:
    """A running simulator: where it is, its token, and runtime controls."""

    base_url: str
    token: str
    sim: Simulator

    def _put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.put(
            f"{self.base_url}{path}", json=body, headers={"Authorization": f"Bearer {self.token}"}
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def set_faults(self, **fields: Any) -> dict[str, Any]:
        """Replace the fault configuration (see :class:`FaultConfig`); no args clears faults."""
        return self._put("/sim/faults", FaultConfig(**fields).model_dump())

    def set_throttle(self, **fields: Any) -> dict[str, Any]:
        """Replace the throttle settings (see :class:`ThrottleConfig`) and empty the buckets."""
        return self._put("/sim/throttle", ThrottleConfig(**fields).model_dump())

    def set_live_events(self, **fields: Any) -> dict[str, Any]:
        """Replace the Live Events settings (see :class:`LiveEventsConfig`)."""
        return self._put("/sim/live_events", LiveEventsConfig(**fields).model_dump())

    def drain_live_events(self, timeout: float = 10.0) -> bool:
        """Wait until every Live Event queued so far was delivered (or given up)."""
        return self.sim.events.drain(timeout)


@contextmanager
def running_simulator(
    db_path: Path, token: str = "bca-test-token", **config: Any
) -> Iterator[SimulatorHandle]:
    """Start a simulator on a free port for the duration of the block.

    ``config`` takes the fields of :class:`SimConfig` besides the token (``throttle``,
    ``faults``, ``live_events`` as models or dicts, ``migration_delay_s``).
    """
    sim_config = SimConfig(token=token, **config)
    app = create_app(Path(db_path), sim_config)
    with serving(app, "canvas-sim") as url:
        yield SimulatorHandle(url, token, app.state.sim)


__all__ = [
    "FaultConfig",
    "LiveEventsConfig",
    "SimulatorHandle",
    "ThrottleConfig",
    "free_port",
    "running_simulator",
]
