"""The ledger's person exceptions: the Banner record kept, resolved once, older tables migrated."""

from __future__ import annotations

from sqlalchemy import text

from agents.state import Outcome, PersonException
from core.db import make_engine
from runtime.ledger import RunLedger

OLD_TABLE = (
    "CREATE TABLE person_exceptions (thread_id VARCHAR(200) NOT NULL, seq INTEGER NOT NULL,"
    " kind VARCHAR(80) NOT NULL, detail TEXT NOT NULL, term VARCHAR(10), crn VARCHAR(10),"
    " pidm INTEGER, recorded_at TIMESTAMP NOT NULL, PRIMARY KEY (thread_id, seq))"
)
"""``person_exceptions`` as databases made before the record and the resolution have it."""

NO_LOGIN = PersonException(
    kind="account_login_missing",
    detail="No GOBTPAC login for A00000001: Canvas has nothing to sign them in with.",
    term="202610",
    crn="10001",
    pidm=1,
    record="SPRIDEN A00000001 Lee Kim; GOBTPAC (none)",
)
DONE = Outcome(status="needs_person", detail="term 202610 reconciled")


def test_an_older_table_gets_the_new_columns_and_keeps_its_rows(app_url: str) -> None:
    engine = make_engine(app_url)
    with engine.begin() as conn:
        conn.execute(text(OLD_TABLE))
        conn.execute(
            text(
                "INSERT INTO person_exceptions VALUES"
                " ('event:old', 0, 'canvas_user_missing', 'no account', '202610', '1', 7,"
                " '2026-01-02 03:04:05')"
            )
        )
    ledger = RunLedger(engine)
    ledger.create_schema()
    ledger.create_schema()  # again: nothing left to add
    [old] = ledger.exceptions()
    assert (old.thread_id, old.kind, old.record, old.resolved_at) == (
        "event:old", "canvas_user_missing", None, None,
    )  # fmt: skip
    ledger.record("event:new", "scheduled.reconcile_term", DONE, [NO_LOGIN])
    new = ledger.exception("event:new", 0)
    assert new is not None and new.record == NO_LOGIN.record
    engine.dispose()


def test_an_exception_is_resolved_once_by_whoever_resolved_it(app_url: str) -> None:
    engine = make_engine(app_url)
    ledger = RunLedger(engine)
    ledger.create_schema()
    ledger.record("event:r", "scheduled.reconcile_term", DONE, [NO_LOGIN])
    assert ledger.resolve("event:r", 0, "lms_admin:kim")
    assert not ledger.resolve("event:r", 0, "lms_admin:lee")  # already resolved: kept as it was
    assert not ledger.resolve("event:r", 1, "lms_admin:lee")  # no such exception
    found = ledger.exception("event:r", 0)
    assert found is not None and found.resolved_by == "lms_admin:kim" and found.resolved_at
    engine.dispose()
