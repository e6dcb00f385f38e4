"""``/dashboard/exceptions`` as plain forms: who sees which exceptions, who may resolve one.

The full resolve (a real section re-run through the agents) is the browser test's
(``test_exceptions_browser``); here the app's approval queue is the test graph's, so the agents
are not wired and a resolve that passes every check answers 503 and leaves the exception open.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from agents.state import Outcome, PersonException
from core.db import make_engine
from core.settings import Settings
from policies.rbac import Role
from runtime.ledger import RunLedger
from tests.api.conftest import TERM, People
from tests.api.test_chat_pages import signed_in

NO_LOGIN = PersonException(
    kind="account_login_missing",
    detail="Banner has no campus login (GOBTPAC) for this person.",
    term=TERM,
    crn="10001",
    pidm=1234,
    record="SPRIDEN A00001234 Lee Kim; GOBTPAC (none)",
)
CANCELLED = PersonException(
    kind="section_cancelled_with_students",
    detail="Section 10002 is cancelled in Banner and still has 3 students.",
    term=TERM,
    crn="10002",
)
BUTTON = "Resolve and re-run section"


@pytest.fixture
def ledger(client: TestClient, settings: Settings) -> RunLedger:
    """The app's ledger (its tables made by the app) holding a nightly run's two exceptions."""
    found = RunLedger(make_engine(settings.database_url))
    outcome = Outcome(status="needs_person", detail="term reconciled")
    found.record("event:nightly", "scheduled.reconcile_term", outcome, [NO_LOGIN, CANCELLED])
    return found


def resolve(client: TestClient, csrf: str, seq: int = 0) -> int:
    form = {"csrf": csrf, "thread": "event:nightly", "seq": str(seq)}
    return client.post("/dashboard/exceptions/resolve", data=form).status_code


def still_open(ledger: RunLedger) -> bool:
    found = ledger.exception("event:nightly", 0)
    return found is not None and found.resolved_at is None


def test_an_lms_admin_sees_the_account_exceptions_with_the_record(client, settings, ledger):
    signed_in(client, settings, Role.LMS_ADMIN, "kim")
    page = client.get("/dashboard")
    assert page.url.path == "/dashboard/exceptions"  # where they land
    assert "account_login_missing" in page.text and "GOBTPAC (none)" in page.text
    assert f"{TERM}/10001" in page.text and BUTTON in page.text
    assert "section_cancelled_with_students" not in page.text  # the registrar's to settle
    assert "Failed and dead events" not in page.text  # the replay forms are operators'


def test_a_registrar_sees_every_exception_and_resolves_none(client, settings, ledger):
    csrf = signed_in(client, settings, Role.REGISTRAR, "registrar")
    page = client.get("/dashboard/exceptions")
    assert "account_login_missing" in page.text and "section_cancelled_with_students" in page.text
    assert BUTTON not in page.text and "Failed and dead events" in page.text
    assert resolve(client, csrf) == 403
    assert still_open(ledger)


def test_other_roles_neither_see_nor_resolve(client, settings, ledger, people: People):
    csrf = signed_in(client, settings, Role.ADVISOR, str(people.advisor))
    assert client.get("/dashboard/exceptions").status_code == 403
    assert resolve(client, csrf) == 403
    assert still_open(ledger)


def test_a_resolve_without_the_session_token_is_refused(client, settings, ledger):
    signed_in(client, settings, Role.LMS_ADMIN, "kim")
    assert resolve(client, "forged") == 403
    assert still_open(ledger)


@pytest.mark.parametrize("role", [Role.LMS_ADMIN, Role.ADMIN])
def test_a_resolve_that_passes_the_checks_needs_the_agents(client, settings, ledger, role):
    csrf = signed_in(client, settings, role, "kim")
    assert resolve(client, csrf) == 503  # no agents behind the test's queue: nothing re-ran
    assert still_open(ledger)
    assert resolve(client, csrf, seq=1) == 422  # a cancelled section is not a re-run's
    assert resolve(client, csrf, seq=7) == 404
