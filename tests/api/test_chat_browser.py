"""``/support`` in a real headless Chromium (Debian's package, driven by Playwright).

A student signs in, asks a question, sees the answer and a citation link, asks for a person
and sees the reference; the help desk's answer then shows in the student's conversation. The
agent is the scripted one until the real support agent is wired in.
"""

from __future__ import annotations

import re

from policies.rbac import Role
from runtime.api.auth import mint_token
from tests.api.chat_support import HOLD_ANSWER, HOLDS
from tests.api.conftest import TERM, People
from tests.api.test_dashboard_browser import SHOTS, browser

__all__ = ["browser"]


def sign_in_as(page, base: str, token: str) -> None:
    page.goto(f"{base}/support")
    page.wait_for_url(f"{base}/dashboard/sign-in")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard/chat")


def test_a_student_asks_and_sees_the_answer_and_its_source(
    browser,
    chat_server: str,
    settings,
    people: People,
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    student = mint_token(settings, role=Role.STUDENT, subject=str(people.students[0]), term=TERM)
    sign_in_as(page, chat_server, student)
    assert page.get_by_role("main").is_visible()

    page.get_by_label("Your question").fill("How do I clear a registration hold?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/dashboard/chat\?c=[0-9a-f-]{36}.*"))
    messages = page.get_by_role("list", name="Messages")
    assert "How do I clear a registration hold?" in messages.inner_text()
    assert HOLD_ANSWER in messages.inner_text()
    link = page.get_by_role("link", name=f"{HOLDS.title} — {HOLDS.heading}")
    assert link.get_attribute("href") == f"/help/{HOLDS.source}#{HOLDS.anchor}"

    page.get_by_label("Your question").fill("Can a person help me?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_load_state()
    status = page.get_by_role("status")
    assert re.search(r"reference HD-\d{6}", status.inner_text())
    case_id = re.search(r"HD-\d{6}", status.inner_text()).group(0)  # type: ignore[union-attr]
    page.screenshot(path=str(SHOTS / "support-chat.png"), full_page=True)

    desk = browser.new_page()
    desk.goto(f"{chat_server}/dashboard/sign-in")
    desk.get_by_label("Access token").fill(
        mint_token(settings, role=Role.HELPDESK, subject="hd-ana")
    )
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url(f"{chat_server}/dashboard/support")
    desk.get_by_label(f"Answer to {case_id}").fill("I have asked your advisor to call you.")
    desk.get_by_role("button", name="Send answer").click()
    desk.wait_for_url(re.compile(r".*answered=HD-\d{6}$"))
    desk.close()

    page.reload()
    assert (
        "I have asked your advisor to call you."
        in page.get_by_role("list", name="Messages").inner_text()
    )
    page.close()
