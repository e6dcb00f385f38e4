"""The support chat's surfaces with the real support agent in template mode (no model).

Issue 13's done-when, end to end: the app's own chat factory (``build_chat_service`` with no
agent) builds the real :class:`~agents.support.agent.SupportAgent` over the real guard, the
sandbox Banner and a knowledge base built the way ``bca kb build`` builds it (the sandbox's help
corpus written into the settings' ``kb_dir`` and ingested into the embedded chromadb with the
packaged all-MiniLM-L6-v2). A student with a registration hold asks "why can't I register?"
through ``POST /api/chat`` and through ``/support`` in Chromium and is told the hold Banner has
(SPRHOLD/STVHLDD) and the office its help page says clears it, with a citation of that page; a
request for a person opens a case the help desk answers on its page, and the student sees it.

Nothing about the expected answer is written here: the hold comes from Banner, the office from
the generated page for that hold code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from core.db import make_engine
from core.settings import Settings
from policies.audit import AuditLog
from policies.rbac import Role
from runtime.api.auth import mint_token
from sandbox.kb.corpus import write_corpus
from tests.api.conftest import TERM
from tests.api.test_chat_browser import sign_in_as
from tests.api.test_chat_pages import signed_in
from tests.api.test_dashboard_browser import SHOTS, browser
from tests.support.conftest import Student, _student_with_registration_hold
from tools.kb.embedding import load_embedder
from tools.kb.store import open_kb

__all__ = ["browser"]

QUESTION = "why can't I register?"
PERSON = "I want to talk to a person about my financial aid appeal"
SECRET = "test-secret-of-at-least-32-bytes-long!"


@dataclass(frozen=True)
class HoldPage:
    """A hold in force on the student's record and the help page written for its code."""

    code: str
    description: str
    source: str
    """The page's path relative to the corpus folder, as the knowledge base cites it."""
    office: str
    """The office the page says clears the hold."""


@dataclass(frozen=True)
class Other:
    """Identifiers of the sandbox's other people, none of which may reach this student."""

    banner_ids: frozenset[str]
    names: frozenset[str]
    emails: frozenset[str]

    def found_in(self, answer: str) -> list[str]:
        words = answer.lower()
        return sorted(
            s for s in self.banner_ids | self.names | self.emails if s and s.lower() in words
        )


# -- the knowledge base, built once as `bca kb build` builds it ------------------------------


@pytest.fixture(scope="session")
def kb_var(banner: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``var`` folder whose ``kb`` holds the sandbox corpus and ``chroma`` its embeddings."""
    var = Path(tmp_path_factory.mktemp("real-agent-var"))
    built = Settings(var_dir=var, banner_url=str(banner.url), auth_secret=SECRET)
    folder = built.resolved_kb_dir()
    pages = write_corpus(
        banner,
        folder,
        census_dates=built.census_dates,
        census_offset_days=built.census_offset_days,
    )
    report = open_kb(built, load_embedder()).ingest(folder)
    assert pages and report.documents == len(pages) and report.chunks > len(pages)
    return var


@pytest.fixture
def settings(tmp_path: Path, banner: Engine, kb_var: Path) -> Settings:
    """The API tests' settings over the built knowledge base (no model: template mode)."""
    return Settings(
        var_dir=kb_var,
        database_url=f"sqlite:///{tmp_path}/app.db",
        banner_url=str(banner.url),
        checkpoint_url=str(tmp_path / "checkpoints.db"),
        auth_secret=SECRET,
        model="",
    )


# -- who asks, and what Banner and the corpus say about them ---------------------------------


@pytest.fixture(scope="session")
def held(banner: Engine) -> Student:
    """The first student with a registration hold in force today (the app's today)."""
    return _student_with_registration_hold(banner, date.today())


@pytest.fixture(scope="session")
def hold_pages(banner: Engine, held: Student, kb_var: Path) -> list[HoldPage]:
    """Every hold in force on ``held``'s record (SPRHOLD, STVHLDD) and its generated page."""
    with banner.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT h.sprhold_hldd_code, t.stvhldd_desc FROM sprhold h"
                " JOIN stvhldd t ON t.stvhldd_code = h.sprhold_hldd_code"
                " WHERE h.sprhold_pidm = :p AND h.sprhold_from_date <= :d"
                " AND h.sprhold_to_date > :d ORDER BY 1"
            ),
            {"p": held.pidm, "d": date.today()},
        ).all()
    assert (held.hold_code, held.hold_desc) in [tuple(r) for r in rows]
    corpus = Settings(var_dir=kb_var).resolved_kb_dir()
    return [_page_of(corpus, str(code), str(desc)) for code, desc in rows]


def _page_of(corpus: Path, code: str, description: str) -> HoldPage:
    """The corpus page titled for ``code`` and the office it says clears that code's holds."""
    titled = [
        page
        for page in sorted(corpus.rglob("*.md"))
        if page.read_text(encoding="utf-8").splitlines()[0].endswith(f"({code})")
    ]
    assert len(titled) == 1, f"one help page per hold code, found {titled} for {code}"
    [page] = titled
    body = page.read_text(encoding="utf-8")
    clears = re.search(rf"^The (.+?) clears {re.escape(code)} holds\.", body, re.MULTILINE)
    assert clears, f"{page} does not say who clears {code} holds"
    return HoldPage(
        code=code,
        description=description,
        source=page.relative_to(corpus).as_posix(),
        office=clears.group(1),
    )


@pytest.fixture(scope="session")
def others(banner: Engine, held: Student) -> Other:
    """Banner IDs, full names and e-mails of everyone in SPRIDEN but ``held``."""
    with banner.connect() as conn:
        people = conn.execute(
            text(
                "SELECT spriden_id, spriden_first_name, spriden_last_name FROM spriden"
                " WHERE spriden_pidm <> :p AND spriden_change_ind IS NULL"
            ),
            {"p": held.pidm},
        ).all()
        emails: Sequence[str | None] = (
            conn.execute(
                text("SELECT goremal_email_address FROM goremal WHERE goremal_pidm <> :p"),
                {"p": held.pidm},
            )
            .scalars()
            .all()
        )
        own_name = f"{held.first} {held.last}"
        return Other(
            banner_ids=frozenset(p[0] for p in people),
            names=frozenset(f"{p[1]} {p[2]}" for p in people) - {own_name},
            emails=frozenset(e for e in emails if e and e != held.email),
        )


@pytest.fixture(scope="session")
def unheld(banner: Engine) -> int:
    """A student with no hold in force today, registered this term."""
    with banner.connect() as conn:
        pidm: int | None = conn.execute(
            text(
                "SELECT MIN(r.sfrstcr_pidm) FROM sfrstcr r WHERE r.sfrstcr_term_code = :t"
                " AND NOT EXISTS (SELECT 1 FROM sprhold h WHERE h.sprhold_pidm = r.sfrstcr_pidm"
                " AND h.sprhold_from_date <= :d AND h.sprhold_to_date > :d)"
            ),
            {"t": TERM, "d": date.today()},
        ).scalar_one()
    assert pidm is not None
    return int(pidm)


def ask(client: TestClient, headers: dict[str, str], message: str, cid: str | None = None) -> Any:
    return client.post(
        "/api/chat", json={"message": message, "conversation_id": cid}, headers=headers
    )


def _engine(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


# -- 1. the API ------------------------------------------------------------------------------


def test_the_student_is_told_their_hold_and_who_clears_it(
    client: TestClient,
    token: Any,
    settings: Settings,
    held: Student,
    hold_pages: list[HoldPage],
    others: Other,
):
    headers = token(Role.STUDENT, held.pidm)
    response = ask(client, headers, QUESTION)
    assert response.status_code == 200, response.text
    body = response.json()
    answer: str = body["answer"]

    assert body["handoff"] is None, answer
    assert "my_holds" in body["tools_used"] and "kb_search" in body["tools_used"]
    registration_hold = next(h for h in hold_pages if h.code == held.hold_code)
    assert held.hold_desc in answer
    assert registration_hold.office in answer
    for hold in hold_pages:
        assert f"{hold.code} — {hold.description}" in answer
    assert "blocks registration" in answer and "None of these holds" not in answer

    citations = body["citations"]
    assert citations
    pages = {h.source for h in hold_pages}
    for cite in citations:
        assert cite["source"] in pages, cite
        assert cite["chunk_id"].startswith(f"{cite['source']}#"), cite
        assert f"[{cite['chunk_id']}]" in answer  # each citation is quoted where it is used
    assert registration_hold.source in {c["source"] for c in citations}
    assert any(
        "clears" in c["heading"].lower() and c["source"] == registration_hold.source
        for c in citations
    ), citations

    leaked = others.found_in(answer)
    assert not leaked, f"another person's identifiers in the answer: {leaked}"

    kept = client.get(f"/api/chat/{body['conversation_id']}", headers=headers).json()
    assert [m["role"] for m in kept["messages"]] == ["student", "assistant"]
    assert kept["messages"][1]["citations"] == citations

    # the real guard ran the caller-bound tool for this student, and said so in the trail
    audit = AuditLog(_engine(settings))
    holds_calls = [e for e in audit.iter_events() if e.tool == "my_holds"]
    assert holds_calls and {e.on_behalf_of for e in holds_calls} == {str(held.pidm)}
    assert audit.verify().ok


def test_a_student_without_holds_is_not_told_of_anothers(
    client: TestClient, token: Any, unheld: int, held: Student
):
    response = ask(client, token(Role.STUDENT, unheld), QUESTION)
    assert response.status_code == 200, response.text
    answer = response.json()["answer"]
    assert "no holds in force" in answer
    assert held.hold_desc not in answer and held.banner_id not in answer
    assert held.last not in answer


# -- 2. /support in Chromium -----------------------------------------------------------------


def test_the_support_page_names_the_hold_the_office_and_the_page(
    browser: Any,
    server: str,
    settings: Settings,
    held: Student,
    hold_pages: list[HoldPage],
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    registration_hold = next(h for h in hold_pages if h.code == held.hold_code)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    student = mint_token(settings, role=Role.STUDENT, subject=str(held.pidm), term=TERM)
    sign_in_as(page, server, student)

    page.get_by_label("Your question").fill(QUESTION)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/dashboard/chat\?c=[0-9a-f-]{36}.*"))
    messages = page.get_by_role("list", name="Messages").inner_text()
    assert QUESTION in messages
    assert held.hold_desc in messages
    assert registration_hold.office in messages

    links = page.locator("ul.chat-citations a")
    assert links.count() >= 1
    hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
    sources = {h.source for h in hold_pages}
    assert all(href.split("#")[0].removeprefix("/help/") in sources for href in hrefs), hrefs
    assert any(href.startswith(f"/help/{registration_hold.source}#") for href in hrefs), hrefs
    names = [links.nth(i).inner_text() for i in range(links.count())]
    assert any(held.hold_desc in name for name in names), names
    page.screenshot(path=str(SHOTS / "support-chat-real-agent.png"), full_page=True)
    page.close()


def test_a_citation_link_opens_its_help_page(
    client: TestClient, settings: Settings, held: Student, hold_pages: list[HoldPage]
):
    signed_in(client, settings, Role.STUDENT, str(held.pidm))
    page = client.get("/support")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    asked = client.post(
        "/dashboard/chat",
        data={"message": QUESTION, "conversation_id": "", "csrf": csrf.group(1)},
    )
    assert asked.status_code == 200, asked.text
    sources = re.search(r'<ul class="chat-citations">(.*?)</ul>', asked.text, re.DOTALL)
    assert sources, asked.text
    hrefs = re.findall(r'<a href="([^"]+)">', sources.group(1))
    assert hrefs
    for href in hrefs:
        opened = client.get(urljoin(str(asked.url), href))
        assert opened.status_code == 200, f"{href} -> {opened.url}: {opened.status_code}"
        assert held.hold_desc in opened.text
        assert f'id="{href.split("#", 1)[1]}"' in opened.text, f"{href}: no such section"
    assert client.get("/help/../pyproject.toml").status_code == 404
    assert client.get("/help/holds/missing.md").status_code == 404


# -- 3. a hand-off, answered by the help desk ------------------------------------------------


@pytest.fixture
def page_clients(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    """A student's and a help-desk person's browser sessions on the same app."""
    with TestClient(app) as student, TestClient(app) as desk:
        yield student, desk


def test_a_person_is_asked_for_and_the_help_desk_answers(
    page_clients: tuple[TestClient, TestClient],
    token: Any,
    settings: Settings,
    held: Student,
):
    student, desk = page_clients
    headers = token(Role.STUDENT, held.pidm)
    question = f"I'm {held.first} {held.last} ({held.banner_id}). {PERSON}"
    reply = ask(student, headers, question)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["handoff"] is not None, body["answer"]
    case_id = body["handoff"]["case_id"]
    assert body["handoff"]["reason"] == "asked_for_person"
    assert re.fullmatch(r"HD-\d{6}", case_id)
    assert body["answer"].endswith(f"Your reference is {case_id}.")
    assert body["tools_used"] == ["request_person"]
    conversation_id = body["conversation_id"]

    # the help desk sees the case on its page, transcript redacted
    desk_csrf = signed_in(desk, settings, Role.HELPDESK, "hd-ana")
    listed = desk.get("/dashboard/support")
    assert listed.status_code == 200
    case = re.search(
        rf'<article class="card case" id="case-{case_id}".*?</article>', listed.text, re.DOTALL
    )
    assert case, listed.text
    assert "asked_for_person" in case.group(0)
    assert "financial aid appeal" in case.group(0)
    for secret in (held.banner_id, held.last, held.email or held.banner_id):
        assert secret not in case.group(0)

    answer_text = "Financial Aid has your appeal; an adviser will call you on Thursday."
    answered = desk.post(
        f"/dashboard/support/cases/{case_id}/answer", data={"text": answer_text, "csrf": desk_csrf}
    )
    assert answered.status_code == 200 and f"Answered:</strong> {case_id}" in answered.text
    assert f'id="case-{case_id}"' not in answered.text

    # the student sees it: in the API's transcript and on their page
    seen = student.get(f"/api/chat/{conversation_id}", headers=headers).json()
    assert seen["handed_off"] is True
    assert seen["messages"][-1]["role"] == "staff"
    assert seen["messages"][-1]["text"] == answer_text
    assert seen["messages"][0]["text"] == question  # the owner sees their own words
    signed_in(student, settings, Role.STUDENT, str(held.pidm))
    shown = student.get(f"/dashboard/chat?c={conversation_id}")
    assert shown.status_code == 200
    assert "Help desk" in shown.text and answer_text in shown.text

    tools = [e.tool for e in AuditLog(_engine(settings)).iter_events()]
    assert tools.count("request_person") == 1
    assert tools.count("support_case_open") == 1 and tools.count("support_case_answer") == 1
