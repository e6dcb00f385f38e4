"""Fixtures for the specialist e2e tests: the seeded Banner sandbox and cast of the policy tests,
a Canvas simulator per test, the guard with its audit log, and a scripted drafting model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from policies.pii import Redactor
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tests.policies.agent_harness import redactor_for
from tests.policies.conftest import audit, banner, banner_copy, cast, guard, policy
from tools.canvas.client import CanvasClient

__all__ = ["audit", "banner", "banner_copy", "cast", "guard", "policy"]


@pytest.fixture(scope="session")
def redactor(banner: Engine) -> Redactor:
    return redactor_for(banner)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatorHandle]:
    with running_simulator(tmp_path / "canvas.db") as handle:
        yield handle


@pytest.fixture
def canvas(sim: SimulatorHandle) -> Iterator[CanvasClient]:
    client = CanvasClient(sim.base_url, sim.token)
    yield client
    client.close()


@pytest.fixture
def checkpoint_url(tmp_path: Path) -> str:
    return str(tmp_path / "checkpoints.db")
