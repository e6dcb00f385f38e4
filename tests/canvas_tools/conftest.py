"""A Canvas simulator on a free port and a CanvasClient over real HTTP, plus seeding helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tests.canvas_tools.helpers import FAST_RETRY
from tools.canvas.client import CanvasClient


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """One simulator per test module; tests keep apart by unique SIS ids."""
    with running_simulator(tmp_path_factory.mktemp("canvas") / "canvas.db") as handle:
        yield handle


@pytest.fixture
def client(sim: SimulatorHandle) -> Iterator[CanvasClient]:
    c = CanvasClient(sim.base_url, sim.token, retry=FAST_RETRY)
    yield c
    c.close()


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    return tmp_path / "canvas.db"
