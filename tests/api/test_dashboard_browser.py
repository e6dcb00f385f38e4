"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright).

Sign in with a token, see only one's own approvals, edit and approve a draft and see it leave
the queue and reach the paused graph; reach the approve button with the keyboard alone; a
phone-sized viewport renders without horizontal scrolling. Screenshots go to ``var/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from policies.rbac import Role
from runtime.api.auth import mint_token
from tests.api.conftest import TERM, Desk, People
from tests.conftest import require_service

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path("var") / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not os.access(CHROMIUM, os.X_OK):
        require_service("Chromium", FileNotFoundError(f"{CHROMIUM} is not installed"))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def sign_in(page, base: str, token: str) -> None:
    page.goto(f"{base}/dashboard")
    assert page.url.endswith("/dashboard/sign-in")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/dashboard")


def advisor_token(settings, people: People) -> str:
    return mint_token(settings, role=Role.ADVISOR, subject=str(people.advisor), term=TERM)


def test_advisor_edits_and_approves_a_draft(browser, server, settings, people, desk: Desk):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, server, advisor_token(settings, people))
    mine, mine_too, theirs = desk.requests
    cards = page.locator("article.approval")
    assert cards.count() == 2
    assert page.locator(f"#approval-{theirs.id}").count() == 0
    assert "risk 0.71" in page.locator(f"#approval-{mine.id}").inner_text()
    page.screenshot(path=str(SHOTS / "dashboard-queue.png"), full_page=True)

    card = page.locator(f"#approval-{mine.id}")
    card.get_by_label("body").fill("Hi! Office hours are Tuesday at 2pm; can we meet?")
    card.get_by_role("button", name="Save edits and approve").click()
    page.wait_for_url(re.compile(r".*/dashboard\?done=edit$"))
    assert "your edit was handed to the agent" in page.get_by_role("status").inner_text()
    assert page.locator("article.approval").count() == 1
    assert page.locator(f"#approval-{mine.id}").count() == 0
    decision = desk.state(mine)["decision"]
    assert decision["type"] == "edit"
    assert decision["args"]["body"] == "Hi! Office hours are Tuesday at 2pm; can we meet?"
    assert decision["args"]["pidm"] == people.students[0]  # an int again, as the tool wants

    page.locator(f"#approval-{mine_too.id}").get_by_role(
        "button", name="Approve as drafted"
    ).click()
    page.wait_for_url(re.compile(r".*/dashboard\?done=approve$"))
    assert page.locator("article.approval").count() == 0
    assert desk.state(mine_too)["decision"]["type"] == "approve"
    assert "decision" not in desk.state(theirs)
    page.close()


def test_keyboard_alone_reaches_and_presses_approve(browser, server, settings, people, desk):
    page = browser.new_page()
    sign_in(page, server, advisor_token(settings, people))
    first = desk.requests[0]
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.tagName, document.activeElement.textContent.trim()]"
        )
        if focused == ["BUTTON", "Approve as drafted"]:
            break
    else:
        pytest.fail("Tab never reached an approve button")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # a visible focus ring
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*done=approve$"))
    assert desk.state(first)["decision"]["type"] == "approve"
    page.close()


def test_phone_viewport_has_no_horizontal_scroll(browser, server, settings, people, desk):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 375, "height": 740}, device_scale_factor=2)
    sign_in(page, server, advisor_token(settings, people))
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
    page.close()


def test_registrar_sees_events_exceptions_and_audit(browser, server, settings, desk):
    token = mint_token(settings, role=Role.REGISTRAR, subject="registrar-1", term=TERM)
    page = browser.new_page()
    page.goto(f"{server}/dashboard/sign-in")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server}/dashboard")  # a registrar approves holds: their queue first
    assert "Nothing is waiting" in page.get_by_role("main").inner_text()
    page.get_by_role("link", name="Event monitor").click()
    assert page.get_by_role("heading", name="Event monitor").is_visible()
    page.get_by_role("link", name="Audit").click()
    assert "Chain intact" in page.get_by_role("status").inner_text()
    page.screenshot(path=str(SHOTS / "dashboard-audit.png"), full_page=True)
    page.get_by_role("link", name="Exceptions").click()
    assert page.get_by_role("heading", name="Exceptions").is_visible()
    page.close()


def test_a_bad_token_is_refused_with_a_reason(browser, server):
    page = browser.new_page()
    page.goto(f"{server}/dashboard/sign-in")
    page.get_by_label("Access token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert "not accepted" in page.get_by_role("alert").inner_text()
    page.close()
