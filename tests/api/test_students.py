"""Staff student search and profile over HTTP, per role, against the Banner sandbox and the
Canvas simulator (users, courses and activity mirrored from Banner)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text, update

from core.settings import Settings
from policies.audit import AuditLog
from policies.rbac import Role
from sandbox.canvas.mirror import mirror_students
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tests.api.conftest import TERM, People
from tools.banner import reads
from tools.banner.schema import spbpers

REGISTRAR = "reg-office-1"
HELPDESK = "desk-7"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    with running_simulator(Path(tmp_path_factory.mktemp("canvas")) / "canvas.db") as handle:
        yield handle


@pytest.fixture(scope="module")
def mirrored(sim: SimulatorHandle, banner: Engine, people: People) -> dict[int, list[str]]:
    return mirror_students(sim, banner, TERM, [*people.students, people.theirs])


@pytest.fixture
def settings(tmp_path: Path, banner: Engine, sim: SimulatorHandle, mirrored: Any) -> Settings:
    return Settings(
        var_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path}/app.db",
        banner_url=str(banner.url),
        checkpoint_url=str(tmp_path / "checkpoints.db"),
        auth_secret="test-secret-of-at-least-32-bytes-long!",
        canvas_url=sim.base_url,
        canvas_token=sim.token,
    )


def misspelt(name: str) -> str:
    """Swap two inner letters: "Johnson" -> "Jhonson" (a typo, not a fragment)."""
    assert len(name) >= 4
    return name[0] + name[2] + name[1] + name[3:]


def found(client: TestClient, headers: dict[str, str], q: str) -> dict[str, dict[str, Any]]:
    response = client.get("/api/students", params={"q": q}, headers=headers)
    assert response.status_code == 200, response.text
    return {m["banner_id"]: m for m in response.json()}


def profile(client: TestClient, headers: dict[str, str], banner_id: str, **params: str) -> Any:
    return client.get(
        f"/api/students/{banner_id}", params={"purpose": "advising", **params}, headers=headers
    )


def instructor_of(banner: Engine, pidm: int) -> tuple[int, set[int]]:
    """An instructor teaching the student this term, and every student on their rosters."""
    with banner.connect() as conn:
        teacher: int | None = conn.execute(
            text(
                "SELECT MIN(a.sirasgn_pidm) FROM sirasgn a JOIN sfrstcr r ON r.sfrstcr_term_code"
                " = a.sirasgn_term_code AND r.sfrstcr_crn = a.sirasgn_crn JOIN stvrsts s ON"
                " s.stvrsts_code = r.sfrstcr_rsts_code WHERE r.sfrstcr_pidm = :p AND"
                " r.sfrstcr_term_code = :t AND s.stvrsts_incl_sect_enrl = 'Y'"
            ),
            {"p": pidm, "t": TERM},
        ).scalar_one()
        taught = {
            row[0]
            for row in conn.execute(
                text(
                    "SELECT r.sfrstcr_pidm FROM sirasgn a JOIN sfrstcr r ON r.sfrstcr_term_code"
                    " = a.sirasgn_term_code AND r.sfrstcr_crn = a.sirasgn_crn JOIN stvrsts s ON"
                    " s.stvrsts_code = r.sfrstcr_rsts_code WHERE a.sirasgn_pidm = :i AND"
                    " a.sirasgn_term_code = :t AND (s.stvrsts_incl_sect_enrl = 'Y' OR"
                    " s.stvrsts_wait_ind = 'Y')"
                ),
                {"i": teacher, "t": TERM},
            )
        }
    assert teacher is not None, "the student has no instructor this term"
    return teacher, taught


def test_advisor_finds_an_advisee_by_a_misspelt_surname_and_opens_banner_and_canvas(
    client: TestClient, token: Any, banner: Engine, people: People, mirrored: Any
) -> None:
    advisor = token(Role.ADVISOR, people.advisor)
    student = reads.person_by_pidm(banner, people.students[0])
    matches = found(client, advisor, f"{student.first_name} {misspelt(student.last_name)}")
    assert matches[student.banner_id]["relation"] == "advisee"
    assert matches[student.banner_id]["name"].endswith(student.last_name)

    response = profile(client, advisor, student.banner_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["banner"]["identity"]["last_name"] == student.last_name
    assert body["banner"]["program"]["level"] in {"UG", "GR"}
    assert "gpa" in body["banner"] and "holds" in body["banner"]
    assert "demographics" not in body["banner"]  # the registrar's, not the advisor's
    courses = body["canvas"]["courses"]
    assert {c["sis_section_id"] for c in courses} == set(mirrored[people.students[0]])
    assert all(c["assignments_due"] is not None and c["page_views"] is not None for c in courses)
    assert body["risk"]["reasons"] and 0 <= body["risk"]["score"] <= 1
    assert body["approvals"] and body["approvals"][0]["action"] == "canvas_send_message"
    assert body["cases"] == []


def test_advisor_sees_other_students_only_at_directory_level(
    client: TestClient, token: Any, banner: Engine, people: People
) -> None:
    advisor = token(Role.ADVISOR, people.advisor)
    other = reads.person_by_pidm(banner, people.theirs)
    assert found(client, advisor, other.last_name)[other.banner_id]["relation"] == "directory"
    body = profile(client, advisor, other.banner_id).json()
    assert body["parts"] == ["identity"]
    assert set(body["banner"]) == {"identity"} and body["canvas"] is None


def test_instructor_search_lists_only_students_in_their_sections(
    client: TestClient, token: Any, banner: Engine, people: People
) -> None:
    teacher, taught = instructor_of(banner, people.students[0])
    instructor = token(Role.INSTRUCTOR, teacher)
    outsider = next(
        p for p in range(100001, 100061) if p not in taught and p not in (people.theirs,)
    )
    mine = reads.person_by_pidm(banner, people.students[0])
    theirs = reads.person_by_pidm(banner, outsider)
    assert mine.banner_id in found(client, instructor, misspelt(mine.last_name))
    listed = found(client, instructor, theirs.last_name)
    assert theirs.banner_id not in listed
    assert {m["relation"] for m in listed.values()} <= {"taught"}
    assert found(client, instructor, theirs.banner_id) == {}
    assert profile(client, instructor, theirs.banner_id, purpose="teaching").status_code == 404
    body = profile(client, instructor, mine.banner_id, purpose="teaching").json()
    assert set(body["banner"]) == {"identity", "program"}
    with banner.connect() as conn:
        crns = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT sirasgn_crn FROM sirasgn WHERE sirasgn_pidm = :i AND"
                    " sirasgn_term_code = :t"
                ),
                {"i": teacher, "t": TERM},
            )
        }
    assert body["canvas"]["courses"]
    assert {c["crn"] for c in body["canvas"]["courses"]} <= crns


def test_helpdesk_sees_directory_information_only(
    client: TestClient, token: Any, banner: Engine, people: People
) -> None:
    desk = token(Role.HELPDESK, HELPDESK)
    student = reads.person_by_pidm(banner, people.students[1])
    match = found(client, desk, student.banner_id)[student.banner_id]
    assert match["relation"] == "directory" and match["level"] in {"UG", "GR"}
    body = profile(client, desk, student.banner_id, purpose="support").json()
    assert body["parts"] == ["identity"] and body["risk"] is None and body["approvals"] is None


def test_registrar_sees_everyone_and_everything(
    client: TestClient, token: Any, banner: Engine, people: People
) -> None:
    registrar = token(Role.REGISTRAR, REGISTRAR)
    student = reads.person_by_pidm(banner, people.theirs)
    assert (
        found(client, registrar, misspelt(student.last_name))[student.banner_id]["relation"]
        == "any"
    )
    body = profile(client, registrar, student.banner_id, purpose="registration").json()
    assert {"identity", "demographics", "program", "advisors", "gpa", "holds", "schedule"} <= set(
        body["banner"]
    )
    assert body["canvas"]["courses"]


@pytest.fixture
def confidential(banner: Engine, people: People) -> Iterator[str]:
    """``people.theirs`` asks for FERPA confidentiality for the length of a test."""

    def mark(flag: str) -> None:
        with banner.begin() as conn:
            conn.execute(
                update(spbpers)
                .where(spbpers.c.spbpers_pidm == people.theirs)
                .values(spbpers_confid_ind=flag, spbpers_activity_date=datetime.now())
            )

    mark("Y")
    try:
        yield reads.person_by_pidm(banner, people.theirs).banner_id
    finally:
        mark("N")


def test_confidential_students_show_as_confidential_without_a_need_to_know(
    client: TestClient, token: Any, banner: Engine, people: People, confidential: str
) -> None:
    name = reads.person_by_pidm(banner, people.theirs).last_name
    for headers in (token(Role.ADVISOR, people.advisor), token(Role.HELPDESK, HELPDESK)):
        assert confidential not in found(client, headers, name)
        by_id = found(client, headers, confidential)[confidential]
        assert by_id["name"] == "Confidential" and by_id["email"] is None
        body = profile(client, headers, confidential, purpose="support").json()
        assert body == {
            "banner_id": confidential,
            "confidential": True,
            "parts": [],
            "banner": {"banner_id": confidential, "name": "Confidential"},
            "canvas": None,
            "risk": None,
            "approvals": None,
            "cases": None,
        }
    for headers in (token(Role.ADVISOR, people.other), token(Role.REGISTRAR, REGISTRAR)):
        match = found(client, headers, name)[confidential]
        assert match["confidential"] is True and match["name"].endswith(name)
        body = profile(client, headers, confidential).json()
        assert body["confidential"] is True and body["banner"]["identity"]["last_name"] == name


@pytest.mark.parametrize(
    "query", ["%", "_", "%%%", "'", "--", ";", "' OR '1'='1", "x'; DROP TABLE spriden; --"]
)
def test_sql_and_wildcard_characters_are_text(
    client: TestClient, token: Any, banner: Engine, query: str
) -> None:
    registrar = token(Role.REGISTRAR, REGISTRAR)
    everyone = found(client, registrar, "a")  # a fragment in many names: the page is full
    listed = found(client, registrar, query)
    assert len(listed) < len(everyone)
    assert reads.person_by_pidm(banner, 100001)  # SPRIDEN is still there


def test_wildcards_around_a_name_do_not_widen_it(
    client: TestClient, token: Any, banner: Engine, people: People
) -> None:
    registrar = token(Role.REGISTRAR, REGISTRAR)
    last = reads.person_by_pidm(banner, people.students[0]).last_name
    assert found(client, registrar, f"%{last}_") == found(client, registrar, last)


def test_search_by_email(client: TestClient, token: Any, banner: Engine, people: People) -> None:
    student = reads.person_by_pidm(banner, people.students[0])
    assert student.preferred_email
    matches = found(client, token(Role.REGISTRAR, REGISTRAR), student.preferred_email.upper())
    assert next(iter(matches)) == student.banner_id  # the exact address ranks first


def test_missing_purpose_is_422_and_unknown_or_out_of_scope_is_the_same_404(
    client: TestClient, token: Any, banner: Engine, people: People
) -> None:
    teacher, taught = instructor_of(banner, people.students[0])
    instructor = token(Role.INSTRUCTOR, teacher)
    mine = reads.person_by_pidm(banner, people.students[0]).banner_id
    missing = client.get(f"/api/students/{mine}", headers=instructor)
    assert missing.status_code == 422
    other = client.get(f"/api/students/{mine}", params={"purpose": "other"}, headers=instructor)
    assert other.status_code == 422 and "note" in other.json()["detail"]
    assert profile(client, instructor, mine, purpose="gossip").status_code == 422
    outsider = next(p for p in range(100001, 100061) if p not in taught)
    outside_id = reads.person_by_pidm(banner, outsider).banner_id
    out = profile(client, instructor, outside_id, purpose="teaching")
    unknown = profile(client, instructor, "A00000000", purpose="teaching")
    assert out.status_code == unknown.status_code == 404
    assert out.json()["detail"].replace(outside_id, "X") == unknown.json()["detail"].replace(
        "A00000000", "X"
    )
    student = client.get("/api/students", params={"q": "a"}, headers=token(Role.STUDENT, 100001))
    assert student.status_code == 403


def test_every_profile_view_is_audited_with_who_whom_and_purpose(
    client: TestClient, token: Any, banner: Engine, people: People, settings: Settings
) -> None:
    advisor = token(Role.ADVISOR, people.advisor)
    mine = reads.person_by_pidm(banner, people.students[0]).banner_id
    assert profile(client, advisor, mine, note="before registration").status_code == 200
    assert profile(client, advisor, "A00000000").status_code == 404
    assert profile(client, advisor, mine, purpose="other").status_code == 422  # no view, no row
    from core.db import make_engine

    trail = AuditLog(make_engine(settings.database_url))
    views = [e for e in trail.iter_events() if e.tool == "student_profile_view"]
    assert [(v.actor, v.decision, v.arguments) for v in views] == [
        (
            f"advisor:{people.advisor}",
            "allow",
            {
                "student_pidm": people.students[0],
                "purpose": "advising",
                "note": "before registration",
            },
        ),
        (
            f"advisor:{people.advisor}",
            "deny",
            {"banner_id": "A00000000", "purpose": "advising", "note": None},
        ),
    ]
    assert "gpa" in views[0].outcome
    assert trail.verify().ok


def test_the_dashboard_page_searches_and_shows_the_profile_without_scripts(
    client: TestClient, settings: Settings, banner: Engine, people: People
) -> None:
    from runtime.api.auth import mint_token

    session = mint_token(settings, role=Role.ADVISOR, subject=str(people.advisor), term=TERM)
    client.cookies.set("bca_session", session, path="/dashboard")
    student = reads.person_by_pidm(banner, people.students[0])
    page = client.get("/dashboard/students", params={"q": misspelt(student.last_name)})
    assert page.status_code == 200
    assert student.banner_id in page.text and 'role="search"' in page.text
    opened = client.get(
        "/dashboard/students",
        params={"q": student.last_name, "banner_id": student.banner_id, "purpose": "advising"},
    )
    assert opened.status_code == 200
    assert 'id="profile"' in opened.text and "Current grade and activity per course" in opened.text
    assert "Early-alert risk" in opened.text
    assert "<script" not in opened.text and "http://" not in opened.text.split("</head>")[0]
    unexplained = client.get(
        "/dashboard/students", params={"q": "x", "banner_id": student.banner_id}
    )
    assert unexplained.status_code == 422 and "purpose" in unexplained.text
    assert 'id="profile"' not in unexplained.text
