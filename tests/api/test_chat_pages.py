"""The chat's pages as plain HTML forms (no JavaScript): a student asks, the help desk answers.

Driven with form posts exactly as a browser without scripts sends them, CSRF token included;
a post without the session's token is refused.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from core.settings import Settings
from policies.rbac import Role
from runtime.api.auth import mint_token
from tests.api.chat_support import HOLDS
from tests.api.conftest import TERM, People

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def signed_in(client: TestClient, settings: Settings, role: Role, subject: str) -> str:
    """Sign in through the form; the page's CSRF token."""
    page = client.get("/dashboard/sign-in")
    nonce = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    token = mint_token(settings, role=role, subject=subject, term=TERM)
    done = client.post("/dashboard/sign-in", data={"token": token, "csrf": nonce})
    assert done.status_code == 200, done.text  # followed the redirect to the landing page
    return CSRF.search(done.text).group(1)  # type: ignore[union-attr]


def test_a_student_asks_without_javascript(chat_client, settings, people: People):
    landing = chat_client.get("/support")
    assert landing.url.path == "/dashboard/sign-in"  # not signed in yet
    csrf = signed_in(chat_client, settings, Role.STUDENT, str(people.students[0]))
    page = chat_client.get("/support")
    assert page.url.path == "/dashboard/chat"
    assert '<label for="message">Your question</label>' in page.text
    assert 'aria-current="page">Ask a question' in page.text

    refused = chat_client.post(
        "/dashboard/chat", data={"message": "How do I clear a hold?", "csrf": "forged"}
    )
    assert refused.status_code == 403

    asked = chat_client.post(
        "/dashboard/chat",
        data={"message": "How do I clear a hold?", "conversation_id": "", "csrf": csrf},
    )
    assert asked.status_code == 200 and asked.url.path == "/dashboard/chat"
    conversation_id = asked.url.params["c"]
    assert "How do I clear a hold?" in asked.text
    assert "A hold is cleared by the office that placed it" in asked.text
    link = f'<a href="/help/{HOLDS.source}#{HOLDS.anchor}">{HOLDS.title} — {HOLDS.heading}</a>'
    assert link in asked.text

    handed = chat_client.post(
        "/dashboard/chat",
        data={"message": "Can a person call me?", "conversation_id": conversation_id, "csrf": csrf},
    )
    assert re.search(r"reference <strong>HD-\d{6}</strong>", handed.text)

    empty = chat_client.post(
        "/dashboard/chat", data={"message": " ", "conversation_id": conversation_id, "csrf": csrf}
    )
    assert empty.status_code == 422 and "the message is empty" in empty.text
    long = "y" * (settings.chat_max_chars + 1)
    too_long = chat_client.post(
        "/dashboard/chat", data={"message": long, "conversation_id": conversation_id, "csrf": csrf}
    )
    assert too_long.status_code == 413 and long in too_long.text  # the draft is kept

    ended = chat_client.post(f"/dashboard/chat/{conversation_id}/close", data={"csrf": csrf})
    assert ended.status_code == 200 and "Conversation ended" in ended.text


def test_the_help_desk_answers_on_its_page_and_the_student_sees_it(
    chat_app, settings, people: People
):
    with TestClient(chat_app) as student, TestClient(chat_app) as desk:
        student_csrf = signed_in(student, settings, Role.STUDENT, str(people.students[0]))
        asked = student.post(
            "/dashboard/chat",
            data={"message": "I need a person", "conversation_id": "", "csrf": student_csrf},
        )
        conversation_id = asked.url.params["c"]
        case_id = re.search(r"HD-\d{6}", asked.text).group(0)  # type: ignore[union-attr]

        desk_csrf = signed_in(desk, settings, Role.HELPDESK, "hd-ana")
        page = desk.get("/dashboard/support")
        assert f'id="case-{case_id}"' in page.text and "I need a person" in page.text
        assert "Support chat figures" not in page.text  # the registrar's
        assert student.get("/dashboard/support").status_code == 403

        answer = f"/dashboard/support/cases/{case_id}/answer"
        assert desk.post(answer, data={"text": "Calling you now.", "csrf": "x"}).status_code == 403
        answered = desk.post(answer, data={"text": "Calling you now.", "csrf": desk_csrf})
        assert answered.status_code == 200 and f"Answered:</strong> {case_id}" in answered.text
        assert f'id="case-{case_id}"' not in answered.text

        seen = student.get(f"/dashboard/chat?c={conversation_id}")
        assert "Help desk" in seen.text and "Calling you now." in seen.text

    with TestClient(chat_app) as registrar:
        signed_in(registrar, settings, Role.REGISTRAR, "reg-1")
        figures = registrar.get("/dashboard/support")
        assert "Support chat figures" in figures.text
        assert "asked_for_person: 1" in figures.text
