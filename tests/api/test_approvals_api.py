"""Approvals API: scoped listing, detail, decisions resuming the real graph, refusals audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from core.db import make_engine
from policies.audit import AuditLog, audit_events
from policies.rbac import Role
from tests.api.conftest import DRAFT, Desk, People


def ids(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()}


def test_each_advisor_sees_only_their_advisees_requests(client, token, people: People, desk: Desk):
    mine, mine_too, theirs = desk.requests
    assert ids(client.get("/api/approvals", headers=token(Role.ADVISOR, people.advisor))) == {
        mine.id,
        mine_too.id,
    }
    assert ids(client.get("/api/approvals", headers=token(Role.ADVISOR, people.other))) == {
        theirs.id
    }
    # a registrar approves holds, not outreach; an instructor is not the advisor
    assert ids(client.get("/api/approvals", headers=token(Role.REGISTRAR, "staff-1"))) == set()
    assert ids(client.get("/api/approvals", headers=token(Role.INSTRUCTOR, people.other))) == set()


def test_detail_has_request_reasoning_and_redacted_evidence(client, token, people, desk):
    request = desk.requests[0]
    response = client.get(
        f"/api/approvals/{request.id}", headers=token(Role.ADVISOR, people.advisor)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["request"]["action_request"]["args"]["body"] == DRAFT
    assert "risk 0.71" in body["reasoning"]
    assert body["evidence"] == {"pidm": "<PIDM_1>", "body": DRAFT}
    assert body["expired"] is False
    other = client.get(f"/api/approvals/{request.id}", headers=token(Role.ADVISOR, people.other))
    assert other.status_code == 403


def test_approve_resumes_the_graph_and_leaves_the_queue(client, token, people, desk):
    request = desk.requests[0]
    headers = token(Role.ADVISOR, people.advisor)
    response = client.post(
        f"/api/approvals/{request.id}/decision", json={"type": "approve"}, headers=headers
    )
    assert response.status_code == 200, response.text
    decision = desk.state(request)["decision"]
    assert decision["type"] == "approve" and decision["request_id"] == request.id
    assert decision["by"] == {
        "actor": f"advisor:{people.advisor}",
        "role": "advisor",
        "pidm": people.advisor,
        "department": None,
    }
    assert ids(client.get("/api/approvals", headers=headers)) == {desk.requests[1].id}
    again = client.post(
        f"/api/approvals/{request.id}/decision", json={"type": "approve"}, headers=headers
    )
    assert again.status_code == 404


def test_edit_and_reject_carry_their_content(client, token, people, desk):
    headers = token(Role.ADVISOR, people.advisor)
    first, second, _ = desk.requests
    edited = {**first.action_request.args, "body": "Hello! Office hours are on Tuesday."}
    assert (
        client.post(
            f"/api/approvals/{first.id}/decision",
            json={"type": "edit", "args": edited},
            headers=headers,
        ).status_code
        == 200
    )
    assert desk.state(first)["decision"]["args"]["body"] == "Hello! Office hours are on Tuesday."
    assert (
        client.post(
            f"/api/approvals/{second.id}/decision",
            json={"type": "reject", "comment": "I will call instead."},
            headers=headers,
        ).status_code
        == 200
    )
    assert desk.state(second)["decision"]["reason"] == "I will call instead."


def test_out_of_scope_decision_is_403_audited_and_still_pending(
    client, token, people, desk, settings
):
    request = desk.requests[0]
    response = client.post(
        f"/api/approvals/{request.id}/decision",
        json={"type": "approve"},
        headers=token(Role.ADVISOR, people.other),
    )
    assert response.status_code == 403
    assert "advisor" in response.json()["detail"]
    assert "decision" not in desk.state(request)
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        row = (
            conn.execute(select(audit_events).where(audit_events.c.decision == "deny"))
            .mappings()
            .one()
        )
    assert row["actor"] == f"advisor:{people.other}"
    assert row["approval_id"] == request.id and "approval refused" in row["outcome"]
    assert AuditLog(engine).verify().ok
    assert request.id in ids(
        client.get("/api/approvals", headers=token(Role.ADVISOR, people.advisor))
    )


def test_malformed_decisions_are_422_and_the_graph_stays_paused(client, token, people, desk):
    request = desk.requests[0]
    headers = token(Role.ADVISOR, people.advisor)
    url = f"/api/approvals/{request.id}/decision"
    for body, says in [
        ({"type": "maybe"}, "type"),
        ({"type": "edit"}, "args are required for an edit"),
        ({"type": "approve", "args": {"body": "x"}}, "allowed only for an edit"),
        ({"type": "comment"}, "needs its text"),
        ({"type": "approve", "by": {"actor": "someone-else"}}, "by"),
    ]:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert says in response.text
    assert client.post(url, content=b"{not json", headers=headers).status_code == 422
    assert "decision" not in desk.state(request)
    assert request.id in ids(client.get("/api/approvals", headers=headers))


def test_bad_ids_and_roles(client, token, people):
    headers = token(Role.ADVISOR, people.advisor)
    assert client.get("/api/approvals/0123abcd", headers=headers).status_code == 404
    assert client.get("/api/approvals/not-hex!", headers=headers).status_code == 422
    assert (
        client.get("/api/approvals", headers=token(Role.STUDENT, people.students[0])).status_code
        == 403
    )
    assert client.get("/api/approvals", headers=token(Role.ADMIN, "root")).status_code == 403


def test_an_edit_beyond_the_approvers_authority_is_403_audited_and_stays_pending(
    client, token, people, desk, settings
):
    """Re-aiming the outreach at a student the advisor does not advise is refused at the API."""
    request = desk.requests[0]
    headers = token(Role.ADVISOR, people.advisor)
    edited = {**request.action_request.args, "pidm": people.theirs}
    response = client.post(
        f"/api/approvals/{request.id}/decision", json={"type": "edit", "args": edited},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 403, response.text
    assert "outside your authority" in response.json()["detail"]
    assert "decision" not in desk.state(request)
    assert request.id in ids(client.get("/api/approvals", headers=headers))
    with make_engine(settings.database_url).connect() as conn:
        denied: Sequence[Any] = conn.execute(
            select(audit_events.c.outcome).where(audit_events.c.decision == "deny")
        ).scalars().all()  # fmt: skip
    assert [o for o in denied if o.startswith("edit refused")] != []


def test_an_edit_with_an_unknown_or_oversized_argument_is_422_and_stays_pending(
    client, token, people, desk
):
    request = desk.requests[0]
    headers = token(Role.ADVISOR, people.advisor)
    url = f"/api/approvals/{request.id}/decision"
    args = request.action_request.args
    for edited, says in [
        ({**args, "cc": "everyone@example.edu"}, "takes no argument cc"),
        ({**args, "body": "x" * 10_001}, "edited body"),
        ({**args, "pidm": "not a pidm"}, "edited pidm"),
    ]:
        response = client.post(url, json={"type": "edit", "args": edited}, headers=headers)
        assert response.status_code == 422, (edited.keys(), response.text)
        assert says in response.text
    assert "decision" not in desk.state(request)
    assert request.id in ids(client.get("/api/approvals", headers=headers))
