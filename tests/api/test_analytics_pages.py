"""Program review on the web: the registrar's JSON and page over a stored build; others 403.

The page is opened in real headless Chromium: the findings read, the charts are SVG with a
title, a hidden count says "suppressed", and nothing is fetched from any other host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine

from core.db import make_engine
from policies.rbac import Role
from runtime.analytics import AnalyticsBuild, build, store
from runtime.api.auth import mint_token
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from tests.api.conftest import TERM
from tests.api.test_dashboard_browser import SHOTS, browser, sign_in  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> AnalyticsBuild:
    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ir')}/banner.db")
    seed_banner(engine, SeedPlan(students=100, sections=16, term="202710", seed=3,
                                 former_students=2000))  # fmt: skip
    return build(engine, "202710")


def test_before_a_build_the_json_says_how_to_make_one(client, token) -> None:
    answer = client.get("/api/analytics", headers=token(Role.REGISTRAR, "registrar"))
    assert answer.status_code == 404 and "bca analytics build" in answer.json()["detail"]


def test_the_registrar_reads_the_build_and_others_may_not(
    client, token, settings, people, history: AnalyticsBuild
) -> None:
    store(make_engine(settings.database_url), history)
    answer = client.get("/api/analytics", headers=token(Role.REGISTRAR, "registrar"))
    assert answer.status_code == 200
    body = answer.json()
    assert body["findings"] and body["min_cell"] == 10 and len(body["tables"]) > 10
    for role, who in ((Role.ADVISOR, people.advisor), (Role.HELPDESK, "desk-1")):
        assert client.get("/api/analytics", headers=token(role, who)).status_code == 403


def test_the_page_shows_findings_as_svg_charts_with_suppression_and_no_outside_request(
    server: str,
    settings,
    history: AnalyticsBuild,
    browser,  # noqa: F811
) -> None:
    store(make_engine(settings.database_url), history)
    registrar = mint_token(settings, role=Role.REGISTRAR, subject="registrar", term=TERM)
    hosts: set[str] = set()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("request", lambda request: hosts.add(str(urlsplit(request.url).hostname)))
    sign_in(page, server, registrar)
    page.get_by_role("link", name="Program review").click()
    page.wait_for_url(f"{server}/dashboard/analytics")
    findings = page.locator("h2:text('Findings') + ol li").all_inner_texts()
    assert any("earned a D, F or W" in f for f in findings)  # the prerequisite effect
    assert any("for Pell students" in f for f in findings)  # the equity gap
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 2
    assert "DFW rate" in str(charts.first.locator("title").text_content())
    assert page.get_by_text("suppressed").count() > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "analytics.png"))
    page.close()
    assert hosts == {urlsplit(server).hostname}


def test_a_chair_reads_their_department_only_and_research_reads_all(
    client, token, settings, history: AnalyticsBuild
) -> None:
    store(make_engine(settings.database_url), history)
    departments = sorted({t.department for t in history.tables if t.department})
    assert len(departments) >= 2
    mine, theirs = departments[0], departments[1]
    chair = token(Role.CHAIR, "chair-1", department=mine)
    own = client.get("/api/analytics", headers=chair).json()
    assert own["tables"] and {t["department"] for t in own["tables"]} == {mine}
    assert own["narrative"] is None  # the build's prose covers every department
    kept = {t["id"] for t in own["tables"]}
    assert all(f["table_id"] in kept for f in own["findings"])
    refused = client.get("/api/analytics", params={"department": theirs}, headers=chair)
    assert refused.status_code == 403 and theirs in refused.json()["detail"]
    research = token(Role.RESEARCH, "ir-1")
    everything = client.get("/api/analytics", headers=research).json()
    assert len(everything["tables"]) == len(history.tables)
    one = client.get("/api/analytics", params={"department": theirs}, headers=research).json()
    assert {t["department"] for t in one["tables"]} == {theirs}


def test_a_chair_token_names_its_department() -> None:
    from core.errors import ConfigurationError
    from core.settings import Settings

    settings = Settings(auth_secret="test-secret-of-at-least-32-bytes-long!")
    with pytest.raises(ConfigurationError, match="needs --department"):
        mint_token(settings, role=Role.CHAIR, subject="chair-1")
    with pytest.raises(ConfigurationError, match="dept"):
        mint_token(settings, role=Role.CHAIR, subject="chair-1", department="math; drop")
