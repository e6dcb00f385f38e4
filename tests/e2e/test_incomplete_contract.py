"""Issue 17, done when 3: an incomplete goes instructor → chair → registrar through the API.

The deployment is the embedded one (Banner sandbox, Canvas simulator, app database, vaults in a
fresh var directory); the grade event is worked by the in-process worker, every decision is a
person's request to the API with their own token, and the contract is fetched as PDF and read
back with pypdf. Banner's facts are read with plain SQL, Canvas's with canvasapi over HTTP;
finally every file under var/ is scanned for the student's name in plain text.
"""

from __future__ import annotations

import io
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader

from agents.events import GradeEntered
from app import create_app
from core.clock import utcnow
from core.ids import section_sis_id
from core.settings import Settings
from policies.rbac import Role
from runtime.api.auth import mint_token
from runtime.demo import Replay, embedded_world
from tools.canvas.client import CanvasClient
from tools.canvas.lookup import get_section, get_user

WORK = "Submit the final project and its write-up."


def _one(db: Path, statement: str, *params: Any) -> Any:
    with sqlite3.connect(db) as conn:
        return conn.execute(statement, params).fetchone()


def test_an_incomplete_contract_from_instructor_to_student(tmp_path: Path) -> None:
    today = date.today()
    later = today + timedelta(days=45)
    var = tmp_path / "var"
    with embedded_world(Settings.embedded_in(var), students=40, sections=3) as world:
        settings, sim, term = world
        settings = settings.model_copy(
            update={"grading_deadlines": {term: today - timedelta(days=20)}}
        )
        banner = var / "banner.db"
        replay = Replay(settings, sim, term, step=lambda *_: None)
        try:
            replay.process("setup", [*replay.events.sections(), *replay.events.registrations()])
            crn, pidm, instructor = _one(
                banner,
                "SELECT r.sfrstcr_crn, r.sfrstcr_pidm, a.sirasgn_pidm FROM sfrstcr r"
                " JOIN sirasgn a ON a.sirasgn_term_code = r.sfrstcr_term_code"
                " AND a.sirasgn_crn = r.sfrstcr_crn AND a.sirasgn_primary_ind = 'Y'"
                " JOIN stvrsts s ON s.stvrsts_code = r.sfrstcr_rsts_code"
                " WHERE r.sfrstcr_term_code = ? AND s.stvrsts_incl_sect_enrl = 'Y'"
                " ORDER BY r.sfrstcr_crn, r.sfrstcr_pidm LIMIT 1",
                term,
            )
            with sqlite3.connect(banner) as conn:
                conn.execute(
                    "UPDATE sfrstcr SET sfrstcr_grde_code = 'I', sfrstcr_grde_code_incmp_final"
                    " = 'F', sfrstcr_incomplete_ext_date = ? WHERE sfrstcr_term_code = ?"
                    " AND sfrstcr_crn = ? AND sfrstcr_pidm = ?",
                    ((today + timedelta(days=3)).isoformat(), term, crn, pidm),
                )
            first, last, banner_id = _one(
                banner,
                "SELECT spriden_first_name, spriden_last_name, spriden_id FROM spriden"
                " WHERE spriden_pidm = ? AND spriden_change_ind IS NULL",
                pidm,
            )
            department = _one(
                banner,
                "SELECT c.scbcrse_dept_code FROM ssbsect s JOIN scbcrse c"
                " ON c.scbcrse_subj_code = s.ssbsect_subj_code"
                " AND c.scbcrse_crse_numb = s.ssbsect_crse_numb"
                " WHERE s.ssbsect_term_code = ? AND s.ssbsect_crn = ?",
                term,
                crn,
            )[0]
            event = GradeEntered(
                event_id=f"inc-{crn}-{pidm}", occurred_at=utcnow(), term_code=term, crn=crn,
                pidm=pidm, grade_code="I",
            )  # fmt: skip
            replay.process("grade", [event])
        finally:
            replay.close()

        def token(role: Role, subject: str, dept: str | None = None) -> dict[str, str]:
            minted = mint_token(settings, role=role, subject=subject, term=term, department=dept)
            return {"Authorization": f"Bearer {minted}"}

        teacher = token(Role.INSTRUCTOR, str(instructor))
        chair = token(Role.CHAIR, "chair-1", department)
        other_chair = token(Role.CHAIR, "chair-2", "ZZZZ")
        registrar = token(Role.REGISTRAR, "registrar-1")
        with TestClient(create_app(settings)) as client:
            [asked] = client.get("/api/approvals", headers=teacher).json()
            assert asked["approver"] == "instructor_of_record"
            detail = client.get(f"/api/approvals/{asked['id']}", headers=teacher).json()
            args = detail["request"]["action_request"]["args"]
            edit = {**args, "extend_to": later.isoformat(), "work_remaining": WORK}
            bare = {**args, "extend_to": later.isoformat()}
            refused = client.post(
                f"/api/approvals/{asked['id']}/decision",
                json={"type": "edit", "args": bare}, headers=teacher,
            )  # fmt: skip
            assert refused.status_code == 422 and "work_remaining" in refused.text
            answered = client.post(
                f"/api/approvals/{asked['id']}/decision",
                json={"type": "edit", "args": edit}, headers=teacher,
            )  # fmt: skip
            assert answered.status_code == 200, answered.text

            assert client.get("/api/approvals", headers=other_chair).json() == []
            [step] = client.get("/api/approvals", headers=chair).json()
            assert step["approver"] == "department_chair"
            pdf = client.get(f"/api/approvals/{step['id']}/contract", headers=chair)
            assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
            denied = client.get(f"/api/approvals/{step['id']}/contract", headers=other_chair)
            assert denied.status_code == 403
            sha = pdf.headers["x-content-sha256"]
            shown = client.get(f"/api/approvals/{step['id']}", headers=chair).json()
            assert sha in shown["request"]["description"]
            page = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
            for expected in (f"{first} {last}", banner_id, f"CRN: {crn}", term,
                             later.strftime("%B %d, %Y"), "the grade F", WORK):  # fmt: skip
                assert expected in page, expected
            approved = client.post(
                f"/api/approvals/{step['id']}/decision", json={"type": "approve"}, headers=chair
            )
            assert approved.status_code == 200, approved.text

            [confirm] = client.get("/api/approvals", headers=registrar).json()
            assert confirm["action"] == "banner_resolve_incomplete"
            again = client.get(f"/api/approvals/{confirm['id']}/contract", headers=registrar)
            assert again.headers["x-content-sha256"] == sha
            done = client.post(
                f"/api/approvals/{confirm['id']}/decision",
                json={"type": "approve"}, headers=registrar,
            )  # fmt: skip
            assert done.status_code == 200, done.text

        grade, ext = _one(
            banner,
            "SELECT sfrstcr_grde_code, sfrstcr_incomplete_ext_date FROM sfrstcr"
            " WHERE sfrstcr_term_code = ? AND sfrstcr_crn = ? AND sfrstcr_pidm = ?",
            term, crn, pidm,
        )  # fmt: skip
        assert (grade, str(ext)[:10]) == ("I", later.isoformat())

        canvas = CanvasClient(sim.base_url, sim.token)
        try:
            user = get_user(canvas, banner_id)
            course_id = get_section(canvas, section_sis_id(term, crn)).course_id
            course = canvas.canvas.get_course(course_id)
            [extension] = [s for s in course.get_sections() if "-INC-" in (s.sis_section_id or "")]
            assert extension.restrict_enrollments_to_section_dates is True
            assert extension.end_at.startswith(later.isoformat())
            assert [e.user_id for e in extension.get_enrollments()] == [user.id]
            [mail] = [
                c for c in canvas.canvas.get_conversations()
                if c.subject == "Your incomplete grade contract"
            ]  # fmt: skip
            assert mail.audience == [user.id] and sha in mail.last_message
        finally:
            canvas.close()

    assert last.encode() in (var / "banner.db").read_bytes()  # a plain name is findable so
    scanned = [
        path
        for path in var.rglob("*")
        if path.is_file()
        and path.name not in {"banner.db", "canvas-sim.db"}  # the systems of record themselves
        and not path.name.startswith(("banner.db-", "canvas-sim.db-"))
    ]
    assert any(p.suffix == ".db" for p in scanned)  # the app database and checkpoints
    assert [str(p.relative_to(var)) for p in scanned if last.encode() in p.read_bytes()] == []
