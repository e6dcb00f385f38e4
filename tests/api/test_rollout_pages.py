"""The Rollout page: a registrar changes a mode, an admin only reads, others are refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from core.db import make_engine
from core.settings import Settings
from policies.rbac import Role
from policies.rollout import Mode, RolloutConfig, Target, Workflow, load_rollout, write_rollout
from policies.rollout_log import RolloutLog, ShadowRecord
from policies.scope import BannerDirectory
from runtime.api.app import create_app
from runtime.api.queue import GraphApprovalQueue
from tests.api.conftest import ON_THIS_HOST, Desk, People
from tests.api.test_chat_pages import signed_in


@pytest.fixture
def rollout_file(tmp_path: Path) -> Path:
    path = tmp_path / "rollout.yaml"
    write_rollout(path, RolloutConfig())
    return path


@pytest.fixture
def pilot_settings(settings: Settings, rollout_file: Path) -> Settings:
    return settings.model_copy(update={"rollout_file": rollout_file})


@pytest.fixture
def client(pilot_settings: Settings, desk: Desk, banner: Engine) -> Iterator[TestClient]:
    queue = GraphApprovalQueue(desk.graph, desk.checkpointer, BannerDirectory(banner))
    app = create_app(pilot_settings, approval_queue=lambda _s: nullcontext(queue))
    with TestClient(app, client=ON_THIS_HOST) as test_client:
        yield test_client


def test_a_registrar_changes_a_mode_and_the_history_shows_it(
    client: TestClient, pilot_settings: Settings, rollout_file: Path
) -> None:
    csrf = signed_in(client, pilot_settings, Role.REGISTRAR, "registrar")
    page = client.get("/dashboard/rollout")
    assert page.status_code == 200 and "roster_sync" in page.text and 'name="scope"' in page.text
    done = client.post(
        "/dashboard/rollout",
        data={"workflow": "roster_sync", "mode": "shadow", "scope": "departments=MATH",
              "csrf": csrf},
    )  # fmt: skip
    assert done.status_code == 200 and "Changed roster_sync" in done.text
    rules = load_rollout(rollout_file).of(Workflow.ROSTER_SYNC).rules
    assert [(r.mode, r.scope) for r in rules] == [(Mode.SHADOW, {"departments": ["MATH"]})]
    [change] = RolloutLog(make_engine(pilot_settings.database_url)).history()
    assert change.actor.endswith("registrar") and change.after.rules == rules


def test_bad_input_is_refused_in_one_line_and_nothing_is_written(
    client: TestClient, pilot_settings: Settings, rollout_file: Path
) -> None:
    csrf = signed_in(client, pilot_settings, Role.REGISTRAR, "registrar")
    before = rollout_file.read_text()
    for data, said in (
        ({"workflow": "roster_sync", "mode": "shadow", "scope": "dept=MATH"}, "unknown scope key"),
        ({"workflow": "roster_sink", "mode": "shadow"}, "known workflow and mode"),
        ({"workflow": "roster_sync", "mode": "sometimes"}, "known workflow and mode"),
    ):
        refused = client.post("/dashboard/rollout", data={**data, "csrf": csrf})
        assert refused.status_code == 422 and said in refused.text
    assert client.post(
        "/dashboard/rollout", data={"workflow": "chatbot", "mode": "off", "csrf": "forged"}
    ).status_code in (400, 403)
    assert rollout_file.read_text() == before


def test_an_admin_reads_and_cannot_change_and_an_advisor_is_refused(
    client: TestClient, pilot_settings: Settings, people: People
) -> None:
    csrf = signed_in(client, pilot_settings, Role.ADMIN, "admin")
    page = client.get("/dashboard/rollout")
    assert page.status_code == 200 and 'name="scope"' not in page.text
    post = {"workflow": "chatbot", "mode": "off", "csrf": csrf}
    assert client.post("/dashboard/rollout", data=post).status_code == 403
    signed_in(client, pilot_settings, Role.ADVISOR, str(people.advisor))
    assert client.get("/dashboard/rollout").status_code == 403


def test_the_report_page_counts_what_would_have_been_done(
    client: TestClient, pilot_settings: Settings
) -> None:
    log = RolloutLog(make_engine(pilot_settings.database_url))
    log.create()
    for n in range(3):
        log.shadowed(ShadowRecord(
            workflow=Workflow.GRADE_PASSBACK, tool="banner_post_grade",
            target=Target(term="202610", crn="10001"), keys={"pidm": n}, arguments={},
            would_have={"banner_post_grade": 1},
        ))  # fmt: skip
    signed_in(client, pilot_settings, Role.REGISTRAR, "registrar")
    page = client.get("/dashboard/rollout/grade_passback/report")
    assert page.status_code == 200
    assert "3 writes were planned" in page.text
    assert "<td>banner_post_grade</td><td>3</td>" in page.text
