"""Fixtures: a simulator on a free port and a canvasapi client talking to it over HTTP."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from canvasapi import Canvas

from sandbox.canvas.testing import SimulatorHandle, running_simulator


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    with running_simulator(tmp_path / "canvas.db", migration_delay_s=0.05) as handle:
        yield handle


@pytest.fixture
def canvas(sim: SimulatorHandle) -> Canvas:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return Canvas(sim.base_url, sim.token)
