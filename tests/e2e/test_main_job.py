"""The main job from a fresh var directory, then its approvals decided in other processes.

``bca demo --json`` runs in a subprocess (its own worker paused the runs); this process then
serves the API over the same databases, the saved Canvas simulator and the encrypted vaults:
an advisor approves an outreach through the API and the student receives the re-identified
message; an instructor approves a grade in the dashboard in real headless Chromium and the
grade is in Banner. Facts are read with plain SQL, not through the code under test.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import create_app
from core.settings import Settings
from policies.rbac import Role
from runtime.api.auth import mint_token
from runtime.cli.main_job import login_tokens
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from sandbox.serving import serving
from tests.api.test_dashboard_browser import browser, sign_in  # noqa: F401 (fixture)

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Demo:
    """A finished demo: its settings, figures and term."""

    settings: Settings
    figures: dict[str, Any]
    env: dict[str, str]

    @property
    def term(self) -> str:
        return str(self.figures["term"])

    def banner(self, statement: str, *params: Any) -> list[Any]:
        with sqlite3.connect(self.settings.var_dir / "banner.db") as conn:
            return conn.execute(statement, params).fetchall()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    var = tmp_path_factory.mktemp("fresh") / "var"
    env = {
        **os.environ,
        "BCA_VAR_DIR": str(var),
        "BCA_BANNER_URL": f"sqlite:///{var}/banner.db",
        "BCA_DATABASE_URL": f"sqlite:///{var}/app.db",
        "BCA_CHECKPOINT_URL": str(var / "checkpoints.db"),
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("bca")), "demo", "--json", "--students", "120",
         "--sections", "6"],
        cwd=var.parent, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    settings = Settings(
        var_dir=var,
        banner_url=env["BCA_BANNER_URL"],
        database_url=env["BCA_DATABASE_URL"],
        checkpoint_url=env["BCA_CHECKPOINT_URL"],
    )
    return Demo(settings, figures, env)


@pytest.fixture
def sim(demo: Demo) -> Iterator[SimulatorHandle]:
    """The demo's Canvas, served again from its SQLite file."""
    token = demo.settings.canvas_token.get_secret_value()
    with running_simulator(demo.settings.var_dir / "canvas-sim.db", token) as handle:
        yield handle


def test_demo_from_a_fresh_var_dir_ends_with_no_drift_and_no_failure(demo: Demo) -> None:
    figures = demo.figures
    assert figures["drift"] == 0
    assert figures["events_failed"] == 0 and figures["events_dead"] == 0
    assert figures["sections_provisioned"] > 0
    assert figures["enrollments_synced"] >= figures["registrations"] > 0
    assert figures["approvals_pending"].get("canvas_send_message", 0) > 0
    assert figures["approvals_pending"].get("banner_post_grade", 0) > 0


def test_outreach_paused_by_another_process_is_sent_with_the_real_name(
    demo: Demo, sim: SimulatorHandle
) -> None:
    settings = demo.settings.model_copy(update={"canvas_url": sim.base_url})
    tokens = {role: (who, token) for role, who, token in login_tokens(settings, demo.term)}
    _advisor, token = tokens["advisor"]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        listed = client.get("/api/approvals", headers=headers).json()
        outreach = next(a for a in listed if a["action"] == "canvas_send_message")
        student = int(outreach["subject"]["student"])
        answer = client.post(
            f"/api/approvals/{outreach['id']}/decision", json={"type": "approve"}, headers=headers
        )
        assert answer.status_code == 200, answer.text
    [(first,)] = demo.banner(
        "SELECT spriden_first_name FROM spriden WHERE spriden_pidm = ?"
        " AND spriden_change_ind IS NULL",
        student,
    )
    with sqlite3.connect(demo.settings.var_dir / "canvas-sim.db") as canvas:
        bodies = [b for (b,) in canvas.execute("SELECT body FROM conversations")]
    assert bodies, "no message was sent"
    assert any(first in body for body in bodies)
    assert not any("<PERSON_" in body for body in bodies)


def test_instructor_approves_a_grade_in_chromium_and_banner_has_it(
    demo: Demo,
    sim: SimulatorHandle,
    browser: Any,  # noqa: F811 (the dashboard tests' fixture)
) -> None:
    settings = demo.settings.model_copy(update={"canvas_url": sim.base_url})
    tokens = {role: (who, token) for role, who, token in login_tokens(settings, demo.term)}
    instructor, _ = tokens["instructor"]
    token = mint_token(settings, role=Role.INSTRUCTOR, subject=instructor, term=demo.term)
    with serving(create_app(settings), "api") as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        sign_in(page, base, token)
        card = page.locator("article.approval").first
        card_id = str(card.get_attribute("id"))
        card.get_by_role("button", name="Approve as drafted").click()
        page.wait_for_url(lambda url: "done=approve" in url)
        assert page.locator(f"#{card_id}").count() == 0
        page.close()
    graded = demo.banner(
        "SELECT COUNT(*) FROM sfrstcr r JOIN sirasgn i ON i.sirasgn_term_code = r.sfrstcr_term_code"
        " AND i.sirasgn_crn = r.sfrstcr_crn WHERE i.sirasgn_pidm = ? AND r.sfrstcr_term_code = ?"
        " AND r.sfrstcr_grde_code IS NOT NULL",
        int(instructor),
        demo.term,
    )
    assert graded[0][0] >= 1
