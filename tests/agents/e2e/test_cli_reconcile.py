"""`bca reconcile --term T [--apply] --json` against the sandbox and the simulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from runtime.cli import app
from tests.agents.e2e.conftest import CENSUS, TERM, World


def run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["reconcile", "--term", TERM, "--json", *args])
    assert result.exit_code == 0, result.output
    figures: dict[str, Any] = json.loads(result.output.strip().splitlines()[-1])
    return figures


def test_dry_run_apply_dry_run(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "BCA_BANNER_URL": world.banner.url.render_as_string(hide_password=False),
        "BCA_CANVAS_URL": world.sim.base_url,
        "BCA_CANVAS_TOKEN": world.sim.token,
        "BCA_DATABASE_URL": f"sqlite:///{tmp_path}/cli-app.db",
        "BCA_CHECKPOINT_URL": str(tmp_path / "cli-checkpoints.db"),
        "BCA_CENSUS_DATES": json.dumps({TERM: CENSUS.isoformat()}),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    dry = run()
    assert dry["status"] == "done" and dry["total"] > 0 and dry["plan_enroll"] > 0
    applied = run("--apply")
    assert applied["status"] == "done", applied
    assert applied["applied_enroll"] == dry["plan_enroll"]
    assert applied["canvas_requests"] < dry["plan_enroll"]  # a SIS import, not one per row
    again = run()
    assert again["status"] == "noop" and again["total"] == 0
