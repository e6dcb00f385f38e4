"""Field-aware redaction of tool results."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from policies.pii import PseudonymVault, Redactor
from policies.pii.models import Entity


class _Student(BaseModel):
    pidm: int
    spriden_id: str
    first_name: str
    last_name: str
    email: str | None
    gpa: float
    term_code: str
    hold_reason: str
    crse_title: str
    advisors: list[dict[str, object]]


def test_pydantic_record(redactor: Redactor) -> None:
    vault = PseudonymVault()
    record = _Student(
        pidm=20417, spriden_id="A00771234", first_name="Amara", last_name="Okafor",
        email="amara.okafor@eou.edu", gpa=3.42, term_code="202610",
        hold_reason="Amara owes $120; call 541-962-3000", crse_title="Intro to Biology",
        advisors=[{"sgradvr_advr_pidm": 77, "advisor_name": "Grant Hill", "prim_ind": "Y"}],
    )  # fmt: skip
    out = redactor.redact_record(record, vault)
    assert out["pidm"] == "<PIDM_1>" and out["spriden_id"] == "<BANNER_ID_1>"
    assert out["first_name"].startswith("<PERSON_") and out["email"] == "<EMAIL_1>"
    assert out["gpa"] == 3.42 and out["term_code"] == "202610"
    assert out["crse_title"] == "Intro to Biology"
    assert out["hold_reason"] == f"{out['first_name']} owes $120; call <PHONE_1>"
    assert out["advisors"] == [
        {"sgradvr_advr_pidm": "<PIDM_2>", "advisor_name": "<PERSON_3>", "prim_ind": "Y"}
    ]
    assert vault.reidentify(out["hold_reason"]) == record.hold_reason


def test_batch_of_dicts_and_nones(redactor: Redactor) -> None:
    vault = PseudonymVault()
    rows = [
        {"banner_id": f"A0000000{i}", "note": None, "credits": 4, "comment": "ok"} for i in range(3)
    ]
    out = redactor.redact_records(rows, vault)
    assert [r["banner_id"] for r in out] == ["<BANNER_ID_1>", "<BANNER_ID_2>", "<BANNER_ID_3>"]
    assert out[0]["note"] is None and out[0]["credits"] == 4 and out[0]["comment"] == "ok"
    assert rows[0]["banner_id"] == "A00000000"


def test_plan_digest_is_kept_without_analysis(redactor: Redactor) -> None:
    """A plan's digest is a hash: passed through, never sent to spaCy (it is new every time)."""
    vault = PseudonymVault()
    analysed: list[str] = []
    original = redactor.analyze_many

    def counting(texts: Sequence[str]) -> list[list[Entity]]:
        analysed.extend(texts)
        return original(texts)

    redactor.analyze_many = counting  # type: ignore[method-assign]
    try:
        out = redactor.redact_record({"digest": "a2bd2773c30fb9e8", "note": "see plan"}, vault)
    finally:
        del redactor.analyze_many
    assert out == {"digest": "a2bd2773c30fb9e8", "note": "see plan"}
    assert analysed == ["see plan"]
