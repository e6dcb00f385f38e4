"""The account rule: Banner facts → a Canvas user, or the problem a person must fix first."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agents.rules.accounts import (
    AccountMapping,
    IntegrationRule,
    LoginRule,
    ProblemKind,
    plan_accounts,
)
from tools.banner.models import AccountRecord

MAPPING = AccountMapping()


def record(pidm: int = 100001, **changes: Any) -> AccountRecord:
    values: dict[str, Any] = {
        "pidm": pidm,
        "banner_id": f"A{pidm:08d}",
        "last_name": "Kim",
        "first_name": "Lee",
        "preferred_first_name": None,
        "confidential": False,
        "login": f"lkim{pidm % 10000}",
        "typed_email": f"lkim{pidm % 10000}@example.edu",
        "preferred_email": "lee.kim@mail.example.com",
    }
    return AccountRecord(**{**values, **changes})


def kinds(plan: Any) -> list[ProblemKind]:
    return [p.kind for p in plan.problems]


def test_a_complete_record_becomes_an_account_keyed_by_the_banner_id() -> None:
    plan = plan_accounts([record()], MAPPING)
    assert plan.problems == []
    (account,) = plan.accounts
    assert (account.sis_user_id, account.login_id) == ("A00100001", "lkim1")
    assert (account.name, account.sortable_name) == ("Lee Kim", "Kim, Lee")
    assert account.email == "lkim1@example.edu"
    assert account.integration_id is None


def test_the_preferred_first_name_is_the_name_canvas_shows() -> None:
    (account,) = plan_accounts([record(preferred_first_name="Sunny")], MAPPING).accounts
    assert account.name == "Sunny Kim"


def test_the_mapping_chooses_login_integration_id_and_email_type() -> None:
    mapping = AccountMapping(
        login=LoginRule.BANNER_ID, integration_id=IntegrationRule.PIDM, email_code="PERS"
    )
    (account,) = plan_accounts([record(typed_email="lee@personal.example.org")], mapping).accounts
    assert (account.login_id, account.integration_id) == ("a00100001", "100001")
    assert account.email == "lee@personal.example.org"


def test_without_an_address_of_the_type_the_preferred_one_is_used_unless_turned_off() -> None:
    (account,) = plan_accounts([record(typed_email=None)], MAPPING).accounts
    assert account.email == "lee.kim@mail.example.com"
    strict = AccountMapping(preferred_email_fallback=False)
    plan = plan_accounts([record(typed_email=None)], strict)
    assert kinds(plan) == []  # no e-mail is no error: Canvas logs in by login_id
    assert plan.accounts[0].email is None


@pytest.mark.parametrize("address", ["lee.kim", "lee@@example.edu", "lee kim@example.edu", "@x.io"])
def test_an_email_that_is_not_an_address_is_left_out_with_a_problem(address: str) -> None:
    plan = plan_accounts([record(typed_email=address)], MAPPING)
    assert kinds(plan) == [ProblemKind.EMAIL_UNUSABLE]
    assert address in plan.problems[0].detail
    assert plan.accounts[0].email is None
    assert plan.blocked == set()


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({"first_name": None}, ProblemKind.NAME_MISSING),
        ({"last_name": "  "}, ProblemKind.NAME_MISSING),
        ({"login": None}, ProblemKind.LOGIN_MISSING),
        ({"login": " "}, ProblemKind.LOGIN_MISSING),
    ],
)
def test_a_person_without_a_name_or_login_gets_no_account(
    changes: dict[str, Any], kind: str
) -> None:
    plan = plan_accounts([record(**changes), record(100002)], MAPPING)
    assert kinds(plan) == [kind]
    assert plan.blocked == {100001}
    assert [a.pidm for a in plan.accounts] == [100002]  # the rest still get theirs
    assert plan.problems[0].record.startswith("SPRIDEN A00100001")


def test_a_login_two_banner_people_hold_gives_neither_an_account() -> None:
    plan = plan_accounts(
        [record(100001, login="LKIM1"), record(100002, login="lkim1"), record(100003)], MAPPING
    )
    assert kinds(plan) == [ProblemKind.LOGIN_DUPLICATE] * 2
    assert plan.blocked == {100001, 100002}
    assert [a.pidm for a in plan.accounts] == [100003]
    assert "lkim1" in plan.problems[0].detail


def test_the_mapping_is_read_from_the_account_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.deps import ProvisioningConfig
    from core.settings import Settings

    assert ProvisioningConfig.from_settings(Settings(), 0.1).accounts == AccountMapping()
    monkeypatch.setenv("BCA_ACCOUNT_LOGIN", "banner_id")
    monkeypatch.setenv("BCA_ACCOUNT_INTEGRATION_ID", "pidm")
    monkeypatch.setenv("BCA_ACCOUNT_EMAIL_CODE", "PERS")
    monkeypatch.setenv("BCA_ACCOUNT_EMAIL_FALLBACK", "false")
    assert ProvisioningConfig.from_settings(Settings(), 0.1).accounts == AccountMapping(
        login=LoginRule.BANNER_ID,
        integration_id=IntegrationRule.PIDM,
        email_code="PERS",
        preferred_email_fallback=False,
    )
    monkeypatch.setenv("BCA_ACCOUNT_LOGIN", "email")
    with pytest.raises(ValidationError, match="account_login"):
        Settings()
