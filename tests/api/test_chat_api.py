"""``/api/chat`` and ``/api/support/cases`` with a scripted agent inside the real chat service."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from core.db import make_engine
from core.settings import Settings
from policies.audit import AuditLog
from policies.rbac import Role
from runtime.chat.tables import support_messages
from tests.api.chat_support import HOLD_ANSWER, HOLDS, FakeAgent
from tests.api.conftest import TERM, People


def ask(client: TestClient, headers: dict[str, str], message: str, cid: str | None = None) -> Any:
    return client.post(
        "/api/chat", json={"message": message, "conversation_id": cid}, headers=headers
    )


def test_an_answer_with_its_citation_and_tools(
    chat_client, token, people: People, agent: FakeAgent
):
    student = people.students[0]
    response = ask(chat_client, token(Role.STUDENT, student), "How do I clear a hold?")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"] == HOLD_ANSWER
    assert body["citations"] == [HOLDS.model_dump()]
    assert body["tools_used"] == ["kb_search", "banner_get_holds"]
    assert body["handoff"] is None
    [(ctx, message, thread)] = agent.calls
    assert message == "How do I clear a hold?"
    assert thread == f"support:{student}:{body['conversation_id']}"
    assert (ctx.principal.role, ctx.principal.on_behalf_of, ctx.principal.term) == (
        Role.SUPPORT,
        student,
        TERM,
    )
    again = ask(
        chat_client, token(Role.STUDENT, student), "And a hold on grades?", body["conversation_id"]
    )
    assert again.json()["conversation_id"] == body["conversation_id"]
    lines = chat_client.get(
        f"/api/chat/{body['conversation_id']}", headers=token(Role.STUDENT, student)
    ).json()["messages"]
    assert [m["role"] for m in lines] == ["student", "assistant", "student", "assistant"]
    assert lines[1]["citations"][0]["chunk_id"] == HOLDS.chunk_id


def test_bad_input_has_its_own_status(chat_client, token, settings, people: People):
    headers = token(Role.STUDENT, people.students[0])
    assert ask(chat_client, headers, "").status_code == 422
    assert ask(chat_client, headers, "   \n ").status_code == 422
    assert chat_client.post("/api/chat", json={}, headers=headers).status_code == 422
    too_long = ask(chat_client, headers, "x" * (settings.chat_max_chars + 1))
    assert too_long.status_code == 413
    assert str(settings.chat_max_chars) in too_long.json()["detail"]
    assert ask(chat_client, headers, "x" * settings.chat_max_chars).status_code == 200
    assert chat_client.post("/api/chat", json={"message": "hi"}).status_code == 401
    advisor = token(Role.ADVISOR, people.advisor)
    assert ask(chat_client, advisor, "hi").status_code == 403


def test_another_students_conversation_is_not_found(chat_client, token, people: People):
    mine = ask(chat_client, token(Role.STUDENT, people.students[0]), "hold?").json()
    other = token(Role.STUDENT, people.students[1])
    unknown = ask(chat_client, other, "hold?", "00000000-0000-0000-0000-000000000000")
    theirs = ask(chat_client, other, "hold?", mine["conversation_id"])
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json()["detail"].replace(mine["conversation_id"], "X") == unknown.json()[
        "detail"
    ].replace("00000000-0000-0000-0000-000000000000", "X")
    assert chat_client.get(f"/api/chat/{mine['conversation_id']}", headers=other).status_code == 404


def test_the_eleventh_message_in_a_minute_waits(chat_client, token, settings, people: People):
    headers = token(Role.STUDENT, people.students[0])
    for n in range(settings.chat_rate_per_minute):
        assert ask(chat_client, headers, f"hold {n}?").status_code == 200
    refused = ask(chat_client, headers, "one more hold?")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert str(settings.chat_rate_per_minute) in refused.json()["detail"]
    # another student is not limited by this one
    assert ask(chat_client, token(Role.STUDENT, people.students[1]), "hold?").status_code == 200


def test_a_handoff_is_answered_by_the_help_desk_and_the_student_sees_it(
    chat_client, token, settings, people: People
):
    student = token(Role.STUDENT, people.students[0])
    reply = ask(chat_client, student, "Can I talk to a person?").json()
    case_id = reply["handoff"]["case_id"]
    assert reply["handoff"] == {"case_id": case_id, "reason": "asked_for_person"}
    assert case_id.startswith("HD-") and len(case_id) == 9
    assert reply["answer"].endswith(f"Your reference is {case_id}.")

    assert chat_client.get("/api/support/cases", headers=student).status_code == 403
    listed = chat_client.get("/api/support/cases", headers=token(Role.HELPDESK, "hd-ana"))
    assert listed.status_code == 200
    [view] = listed.json()
    assert view["case"]["case_id"] == case_id and view["case"]["status"] == "open"
    assert [m["role"] for m in view["messages"]] == ["student", "assistant"]
    registrar = chat_client.get("/api/support/cases", headers=token(Role.REGISTRAR, "reg-1"))
    assert [v["case"]["case_id"] for v in registrar.json()] == [case_id]

    answer = chat_client.post(
        f"/api/support/cases/{case_id}/answer",
        json={"text": "Your advisor can lift it; I have asked them."},
        headers=token(Role.HELPDESK, "hd-ana"),
    )
    assert answer.status_code == 200, answer.text
    assert (
        answer.json()["status"] == "answered" and answer.json()["answered_by"] == "helpdesk:hd-ana"
    )
    twice = chat_client.post(
        f"/api/support/cases/{case_id}/answer", json={"text": "again"},
        headers=token(Role.HELPDESK, "hd-ana"),
    )  # fmt: skip
    assert twice.status_code == 409
    assert chat_client.get("/api/support/cases", headers=token(Role.HELPDESK, "x")).json() == []

    conversation = chat_client.get(f"/api/chat/{reply['conversation_id']}", headers=student).json()
    assert conversation["messages"][-1]["role"] == "staff"
    assert conversation["messages"][-1]["text"] == "Your advisor can lift it; I have asked them."
    assert conversation["handed_off"] is True
    following = ask(chat_client, student, "Thanks, and my hold?", reply["conversation_id"]).json()
    assert [s["text"] for s in following["staff_answers"]] == [
        "Your advisor can lift it; I have asked them."
    ]
    assert ask(chat_client, student, "ok", reply["conversation_id"]).json()["staff_answers"] == []

    tools = [e.tool for e in AuditLog(_engine(settings)).iter_events()]
    assert tools.count("support_chat_turn") == 3
    assert tools.count("support_case_open") == 1 and tools.count("support_case_answer") == 1
    assert AuditLog(_engine(settings)).verify().ok


def test_an_agent_failure_is_an_honest_answer_and_a_case(chat_client, token, settings, people):
    student = token(Role.STUDENT, people.students[0])
    response = ask(chat_client, student, "please explode")
    assert response.status_code == 200
    body = response.json()
    assert body["answer"].startswith("I could not answer that right now")
    assert body["handoff"]["reason"] == "tool_error"
    [view] = chat_client.get("/api/support/cases", headers=token(Role.HELPDESK, "hd")).json()
    assert view["messages"][0]["text"] == "please explode"  # the question is kept for a person
    [turn] = [e for e in AuditLog(_engine(settings)).iter_events() if e.tool == "support_chat_turn"]
    assert turn.outcome.startswith("agent failed (RuntimeError)")
    assert "explode" not in turn.outcome  # the exception's text stays out of the trail


def test_the_transcript_is_stored_redacted_and_shown_to_its_owner(
    chat_client, token, settings, people: People, banner
):
    with banner.connect() as conn:
        first, last, banner_id = conn.execute(
            text(
                "SELECT spriden_first_name, spriden_last_name, spriden_id FROM spriden "
                "WHERE spriden_pidm = :p AND spriden_change_ind IS NULL"
            ),
            {"p": people.students[0]},
        ).one()
    student = token(Role.STUDENT, people.students[0])
    question = f"I am {first} {last}, {banner_id}: can you help with a person?"
    reply = ask(chat_client, student, question).json()
    with _engine(settings).connect() as conn:
        stored = [row.text for row in conn.execute(support_messages.select())]
    assert stored and all(banner_id not in t and last not in t for t in stored)
    [view] = chat_client.get("/api/support/cases", headers=token(Role.HELPDESK, "hd")).json()
    assert banner_id not in str(view)
    mine = chat_client.get(f"/api/chat/{reply['conversation_id']}", headers=student).json()
    assert mine["messages"][0]["text"] == question


def test_metrics_carry_the_chat_figures(chat_client, token, people: People):
    student = token(Role.STUDENT, people.students[0])
    done = ask(chat_client, student, "hold?").json()
    assert (
        chat_client.post(f"/api/chat/{done['conversation_id']}/close", headers=student).status_code
        == 204
    )
    assert ask(chat_client, student, "more?", done["conversation_id"]).status_code == 409
    ask(chat_client, student, "a person please")
    scrape = chat_client.get("/metrics").text
    assert "bca_chat_conversations 2.0" in scrape
    assert "bca_chat_deflection 1.0" in scrape
    assert 'bca_chat_handoffs{reason="asked_for_person"} 1.0' in scrape
    assert 'bca_chat_answer_latency_ms{quantile="0.95"}' in scrape
    assert "bca_chat_tokens_per_answer" in scrape


def _engine(settings: Settings) -> Engine:
    return make_engine(settings.database_url)


def test_without_a_knowledge_base_the_chat_says_what_to_run(client, token, people):
    student = token(Role.STUDENT, people.students[0])
    response = ask(client, student, "hold?")
    assert response.status_code == 503
    assert "bca kb build" in response.json()["detail"]
    assert client.get("/health").status_code in (200, 503)
    assert client.get("/metrics").status_code == 200
