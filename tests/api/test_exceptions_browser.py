"""The LMS admin sees an account exception in a real Chromium and resolves it (issue 15).

The whole deployment is real: a private copy of the seeded Banner, the Canvas simulator over
HTTP, the app with its default approval queue (so its section re-runs go through the agents'
own pipeline, guard and ledger). A registered student has no GOBTPAC login, so the section's
sync makes everyone else's enrollments and raises ``account_login_missing`` with the Banner
record. The LMS admin signs in and sees it; resolving before Banner is fixed leaves it open
with the fresh reason; once the test puts the GOBTPAC row back, resolving re-runs the section,
the student is enrolled in Canvas (asked of the simulator with canvasapi) and the exception
shows resolved by the admin.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from canvasapi import Canvas
from sqlalchemy import Engine, text

from agents.events import ReconcileTerm
from app import create_app
from core.db import make_engine
from core.settings import Settings
from policies.audit import AuditLog
from policies.rbac import Role
from runtime.api.auth import mint_token
from runtime.section_rerun import RESOLVE
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from sandbox.serving import serving
from tests.agents.e2e.conftest import add_canvas_users, people
from tests.api.conftest import TERM
from tests.api.test_dashboard_browser import SHOTS, browser
from tools.canvas.client import CanvasClient

__all__ = ["browser"]


@dataclass(frozen=True)
class Deployment:
    """The served app and what the test looks through: Banner, Canvas, the student."""

    base: str
    settings: Settings
    banner: Engine
    sim: SimulatorHandle
    pidm: int
    banner_id: str
    crn: str
    login: dict[str, Any]
    """The student's GOBTPAC row, taken out of Banner to make the exception."""

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.banner.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []


def registered_student(banner: Engine) -> tuple[int, str, str]:
    """(pidm, Banner ID, CRN) of a student enrolled in an active section of no cross-list."""
    with banner.connect() as conn:
        row = conn.execute(
            text(
                "SELECT r.sfrstcr_pidm, p.spriden_id, r.sfrstcr_crn FROM sfrstcr r"
                " JOIN stvrsts t ON t.stvrsts_code = r.sfrstcr_rsts_code"
                " AND t.stvrsts_incl_sect_enrl = 'Y'"
                " JOIN spriden p ON p.spriden_pidm = r.sfrstcr_pidm"
                " AND p.spriden_change_ind IS NULL"
                " JOIN gobtpac g ON g.gobtpac_pidm = r.sfrstcr_pidm"
                " JOIN ssbsect s ON s.ssbsect_crn = r.sfrstcr_crn AND s.ssbsect_term_code = :t"
                " AND s.ssbsect_ssts_code = 'A'"
                " WHERE r.sfrstcr_term_code = :t AND r.sfrstcr_crn NOT IN"
                " (SELECT ssrxlst_crn FROM ssrxlst WHERE ssrxlst_term_code = :t)"
                " ORDER BY r.sfrstcr_crn, r.sfrstcr_pidm LIMIT 1"
            ),
            {"t": TERM},
        ).one()
    return int(row[0]), str(row[1]), str(row[2])


@pytest.fixture
def deployment(tmp_path: Path, banner: Engine) -> Iterator[Deployment]:
    target = tmp_path / "banner-copy.db"
    source = sqlite3.connect(str(banner.url.database))
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    engine = make_engine(f"sqlite:///{target}")
    pidm, banner_id, crn = registered_student(engine)
    with running_simulator(tmp_path / "canvas.db") as sim:
        client = CanvasClient(sim.base_url, sim.token)
        add_canvas_users(client, [b for p, b in people(engine) if p != pidm])
        client.close()
        with engine.begin() as conn:
            login = dict(
                conn.execute(text("SELECT * FROM gobtpac WHERE gobtpac_pidm = :p"), {"p": pidm})
                .mappings()
                .one()
            )
            conn.execute(text("DELETE FROM gobtpac WHERE gobtpac_pidm = :p"), {"p": pidm})
        settings = Settings(
            var_dir=tmp_path / "var",
            database_url=f"sqlite:///{tmp_path}/app.db",
            banner_url=f"sqlite:///{target}",
            checkpoint_url=str(tmp_path / "checkpoints.db"),
            auth_secret="test-secret-of-at-least-32-bytes-long!",
            canvas_url=sim.base_url,
            canvas_token=sim.token,
            census_dates={TERM: "2025-09-05"},
        )
        app = create_app(settings)
        with serving(app, "api") as base:
            httpx.get(f"{base}/health", timeout=30)
            agents = app.state.services.agents
            assert agents is not None, "the default approval queue runs the agents"
            now = datetime.now(UTC)
            nightly = agents(  # what the nightly reconciliation of the section meets
                ReconcileTerm(
                    event_id="nightly", occurred_at=now, term_code=TERM, crns=[crn], apply=True
                )
            )
            assert nightly.outcome.status == "needs_person", nightly.outcome
            yield Deployment(base, settings, engine, sim, pidm, banner_id, crn, login)
    engine.dispose()


def enrolled(deployment: Deployment) -> list[str]:
    """The student's enrollment states in the CRN's Canvas section, asked of the simulator."""
    canvas = Canvas(deployment.sim.base_url, deployment.sim.token)
    section = canvas.get_section(f"{TERM}-{deployment.crn}", use_sis_id=True)
    found = section.get_enrollments(
        type=["StudentEnrollment"], state=["active"], sis_user_id=[deployment.banner_id]
    )
    return [e.enrollment_state for e in found]


def test_the_lms_admin_sees_and_resolves_an_account_exception(browser, deployment):
    SHOTS.mkdir(parents=True, exist_ok=True)
    token = mint_token(deployment.settings, role=Role.LMS_ADMIN, subject="kim", term=TERM)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{deployment.base}/dashboard/sign-in")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{deployment.base}/dashboard/exceptions")  # where an LMS admin lands
    assert page.get_by_role("link", name="Event monitor").count() == 0  # not an operator

    rows = page.locator("tr.exception", has_text="account_login_missing")
    assert rows.count() == 1
    row = rows.first
    assert "GOBTPAC (none)" in row.inner_text()  # the Banner record to fix, as staff read it
    assert f"PIDM {deployment.pidm}" in row.inner_text()  # whose (the text keeps placeholders)
    assert f"{TERM}/{deployment.crn}" in row.inner_text()
    assert enrolled(deployment) == []  # the rest of the section synced, not this student
    page.screenshot(path=str(SHOTS / "exceptions-open.png"), full_page=True)

    row.get_by_role("button", name="Resolve and re-run section").click()  # Banner not fixed
    page.wait_for_load_state()
    assert "Still open" in page.get_by_role("alert").inner_text()
    assert "GOBTPAC" in page.get_by_role("alert").inner_text() or "login" in (
        page.get_by_role("alert").inner_text()
    )
    assert enrolled(deployment) == []

    deployment.sql(
        "INSERT INTO gobtpac (" + ", ".join(deployment.login) + ") VALUES ("
        + ", ".join(f":{k}" for k in deployment.login) + ")",
        **deployment.login,
    )  # fmt: skip
    page.locator("tr.exception", has_text="account_login_missing").first.get_by_role(
        "button", name="Resolve and re-run section"
    ).click()
    page.wait_for_url(re.compile(r".*/dashboard/exceptions\?resolved=1$"))
    assert "Resolved" in page.get_by_role("status").inner_text()
    assert enrolled(deployment) == ["active"]
    rows = page.locator("tr.exception", has_text="account_login_missing")
    assert rows.count() == 2  # the nightly run's and the re-run's that still failed
    for n in range(rows.count()):
        assert "Resolved by lms_admin:kim" in rows.nth(n).inner_text()
    assert page.get_by_role("button", name="Resolve and re-run section").count() == 0
    page.screenshot(path=str(SHOTS / "exceptions-resolved.png"), full_page=True)
    page.close()

    trail = AuditLog(make_engine(deployment.settings.database_url)).tail(1000)
    asked = [e for e in trail if e.tool == RESOLVE]
    assert [(e.actor, e.outcome.split(";")[0]) for e in asked] == [
        ("lms_admin:kim", "still open: account_login_missing"),
        ("lms_admin:kim", "resolved"),
    ]
