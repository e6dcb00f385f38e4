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
import re
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
    log: str

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
        "BCA_LOG_LEVEL": "INFO",
        "BCA_LOG_FORMAT": "json",
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
    return Demo(settings, figures, env, done.stderr)


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


SYSTEMS_OF_RECORD = {"banner.db", "canvas-sim.db", "vault-key"}
"""Banner and Canvas hold people by design; the vault key is not data. The encrypted vaults
(``pii_vaults`` in app.db) are scanned with the rest: their ciphertext must not read as a name."""


def _people_pattern(demo: Demo) -> tuple[re.Pattern[str], dict[str, str]]:
    """Every sandbox person's Banner ID, e-mail, full name and surname, as whole words."""
    kinds: dict[str, str] = {}
    for banner_id, first, last in demo.banner(
        "SELECT spriden_id, spriden_first_name, spriden_last_name FROM spriden"
    ):
        kinds.update({last: "surname", f"{first} {last}": "name", banner_id: "Banner ID"})
    kinds.update(
        {email: "e-mail" for (email,) in demo.banner("SELECT goremal_email_address FROM goremal")}
    )
    words = sorted(kinds, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, words)) + r")\b"), kinds


def _found(pattern: re.Pattern[str], kinds: dict[str, str], text: str) -> list[str]:
    return [f"{kinds[m.group(1)]} ...{text[max(0, m.start() - 60) : m.end() + 20]!r}"
            for m in pattern.finditer(text)][:3]  # fmt: skip


def test_after_the_demo_and_its_decisions_no_file_log_or_table_names_anyone(demo: Demo) -> None:
    """Last in the module: the outreach and grade decisions above have written their rows too.

    Every byte of every file under var/ is read (SQLite pages, write-ahead logs, checkpoint
    blobs), so every table of the app and checkpoint databases is covered, live or freed.
    """
    pattern, kinds = _people_pattern(demo)
    var = demo.settings.var_dir
    canvas = (var / "canvas-sim.db").read_bytes().decode("utf-8", "replace")
    assert len(_found(pattern, kinds, canvas)) == 3  # the scan finds people where they are
    files = sorted(p for p in var.rglob("*") if p.is_file() and p.name not in SYSTEMS_OF_RECORD)
    assert {"app.db", "checkpoints.db"} <= {p.name for p in files}
    leaks = {
        str(p.relative_to(var)): found
        for p in files
        if (found := _found(pattern, kinds, p.read_bytes().decode("utf-8", "replace")))
    }
    assert leaks == {}
    lines = [line for line in demo.log.splitlines() if line.startswith("{")]
    assert lines, "the demo wrote no log line at INFO"
    for line in lines:
        record = json.loads(line)
        assert {"ts", "level", "logger", "message"} <= record.keys()
    assert _found(pattern, kinds, demo.log) == []
