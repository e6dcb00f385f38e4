from datetime import date, timedelta

import pytest

from agents.rules.enrollment_status import (
    CanvasStatus,
    RegistrationFacts,
    TermPolicy,
    enrollment_status_from_registration,
)

CENSUS = date(2026, 9, 4)


def facts(*, enrolled=False, waitlisted=False, withdrawn=False, on=CENSUS):
    return RegistrationFacts(
        enrolled=enrolled, waitlisted=waitlisted, withdrawn=withdrawn, status_date=on
    )


@pytest.mark.parametrize(
    ("registration", "waitlist_access", "expected"),
    [
        (facts(enrolled=True), False, CanvasStatus.ACTIVE),
        (facts(enrolled=True, on=CENSUS + timedelta(days=30)), False, CanvasStatus.ACTIVE),
        (facts(waitlisted=True), True, CanvasStatus.ACTIVE),
        (facts(waitlisted=True), False, CanvasStatus.DELETED),
        (facts(withdrawn=True, on=CENSUS - timedelta(days=10)), False, CanvasStatus.INACTIVE),
        (facts(on=CENSUS - timedelta(days=1)), False, CanvasStatus.DELETED),
        (facts(on=CENSUS), False, CanvasStatus.DELETED),
        (facts(on=CENSUS + timedelta(days=1)), False, CanvasStatus.INACTIVE),
    ],
    ids=[
        "registered",
        "registered-late",
        "waitlisted-with-access",
        "waitlisted-without-access",
        "withdrawn",
        "dropped-day-before-census",
        "dropped-exactly-on-census-day",
        "dropped-day-after-census",
    ],
)
def test_rule_boundaries(registration, waitlist_access, expected):
    policy = TermPolicy(term_code="202610", census_date=CENSUS, waitlist_access=waitlist_access)
    assert enrollment_status_from_registration(registration, policy) is expected
