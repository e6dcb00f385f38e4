"""Which Canvas account a Banner person gets, and why some cannot get one yet.

Real integrations own the people: Canvas's SIS import (users.csv) and the UW
canvas-sis-provisioner build each user from the SIS. The mapping says which Banner facts become
which Canvas fields (sis_user_id, login_id, integration_id, the e-mail type); the rule applies it
and turns a record a person must fix into a :class:`AccountProblem` instead of a Canvas error.

A person with no active e-mail still gets an account (Canvas logs in by login_id; e-mail only
carries notifications; Banner legitimately lacks one for some). An e-mail that is not an address
is a typing error someone must fix: the account is made without it, with a problem. A person
without a name or a login, or whose login another Banner person also holds, gets none: creating
it would attach one campus login to the wrong student.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tools.banner.models import AccountRecord

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class LoginRule(StrEnum):
    """Where ``login_id`` comes from."""

    GOBTPAC = "gobtpac"  # the campus login (GOBTPAC_EXTERNAL_USER): single sign-on matches it
    BANNER_ID = "banner_id"  # the Banner ID, lower case: for schools without a campus login


class IntegrationRule(StrEnum):
    """What ``integration_id`` holds (a second stable key for other systems)."""

    NONE = "none"
    PIDM = "pidm"


class AccountMapping(BaseModel):
    """How Banner facts become Canvas user fields (``BCA_ACCOUNT_*`` settings)."""

    model_config = ConfigDict(frozen=True)

    login: LoginRule = LoginRule.GOBTPAC
    integration_id: IntegrationRule = IntegrationRule.NONE
    email_code: str = Field("UNIV", description="GOREMAL_EMAL_CODE of the address Canvas gets.")
    preferred_email_fallback: bool = Field(
        True, description="Without an address of that type, use the preferred active one."
    )


class CanvasAccount(BaseModel):
    """The Canvas user a Banner person should have (``sis_user_id`` is the Banner ID)."""

    model_config = ConfigDict(frozen=True)

    pidm: int
    sis_user_id: str
    login_id: str
    integration_id: str | None
    name: str
    short_name: str
    sortable_name: str
    email: str | None
    record: str = Field(description="The Banner record it was made from, for an exception.")


class ProblemKind(StrEnum):
    """Why a person's account cannot be made as Banner holds it."""

    NAME_MISSING = "account_name_missing"
    LOGIN_MISSING = "account_login_missing"
    EMAIL_UNUSABLE = "account_email_unusable"
    LOGIN_DUPLICATE = "account_login_duplicate"


BLOCKING = frozenset(
    {ProblemKind.NAME_MISSING, ProblemKind.LOGIN_MISSING, ProblemKind.LOGIN_DUPLICATE}
)
"""Problems that leave the person without an account (and their enrollments waiting)."""


class AccountProblem(BaseModel):
    """A Banner record a person must fix, with the record as they will look it up."""

    model_config = ConfigDict(frozen=True)

    pidm: int
    kind: ProblemKind
    detail: str
    record: str


class AccountsPlan(BaseModel):
    """The accounts to make and the records that need a person first."""

    model_config = ConfigDict(frozen=True)

    accounts: list[CanvasAccount]
    problems: list[AccountProblem]

    @property
    def blocked(self) -> set[int]:
        """PIDMs that get no account this run."""
        return {p.pidm for p in self.problems if p.kind in BLOCKING}


def _login(record: AccountRecord, mapping: AccountMapping) -> str | None:
    if mapping.login is LoginRule.BANNER_ID:
        return record.banner_id.lower()
    login = (record.login or "").strip().lower()
    return login or None


def _email(record: AccountRecord, mapping: AccountMapping) -> str | None:
    if record.typed_email or not mapping.preferred_email_fallback:
        return record.typed_email
    return record.preferred_email


def describe(record: AccountRecord, mapping: AccountMapping) -> str:
    """The record as the LMS admin looks it up in Banner (staff-only: it names the person)."""
    email = _email(record, mapping)
    return (
        f"SPRIDEN {record.banner_id} {record.first_name or '(no first name)'} {record.last_name};"
        f" GOBTPAC {record.login or '(none)'};"
        f" GOREMAL {mapping.email_code} {email or '(none)'}"
    )


def _checks(
    first: str, last: str, login: str | None, logins: Counter[str], email: str | None
) -> list[tuple[ProblemKind, str]]:
    """What is wrong with one person's record, as (kind, the sentence a person reads)."""
    found = []
    if not first or not last:
        found.append(
            (ProblemKind.NAME_MISSING, "Banner has no first or last name for this person.")
        )
    if login is None:
        found.append(
            (ProblemKind.LOGIN_MISSING, "Banner has no campus login (GOBTPAC) for this person.")
        )
    elif logins[login] > 1:
        found.append(
            (
                ProblemKind.LOGIN_DUPLICATE,
                f"Another Banner person holds the same login ({login}); one of them is wrong.",
            )
        )
    if email is not None and not _ADDRESS.match(email):
        found.append(
            (
                ProblemKind.EMAIL_UNUSABLE,
                f"The e-mail on file ({email!r}) is not an address; the account is made without"
                " it.",
            )
        )
    return found


def _problem(
    record: AccountRecord, kind: ProblemKind, detail: str, mapping: AccountMapping
) -> AccountProblem:
    return AccountProblem(
        pidm=record.pidm, kind=kind, detail=detail, record=describe(record, mapping)
    )


def plan_accounts(records: Iterable[AccountRecord], mapping: AccountMapping) -> AccountsPlan:
    """Each person's Canvas account, or the problems that hold it back."""
    people = list(records)
    logins = Counter(login for r in people if (login := _login(r, mapping)))
    accounts: list[CanvasAccount] = []
    problems: list[AccountProblem] = []

    for record in people:
        first = (record.preferred_first_name or record.first_name or "").strip()
        last = record.last_name.strip()
        login = _login(record, mapping)
        found = [
            _problem(record, kind, detail, mapping)
            for kind, detail in _checks(first, last, login, logins, _email(record, mapping))
        ]
        problems += found
        if login is None or any(p.kind in BLOCKING for p in found):
            continue
        email = (
            None
            if any(p.kind is ProblemKind.EMAIL_UNUSABLE for p in found)
            else _email(record, mapping)
        )
        name = f"{first} {last}"
        accounts.append(
            CanvasAccount(
                pidm=record.pidm,
                sis_user_id=record.banner_id,
                login_id=login,
                integration_id=(
                    str(record.pidm) if mapping.integration_id is IntegrationRule.PIDM else None
                ),
                name=name,
                short_name=name,
                sortable_name=f"{last}, {first}",
                email=email,
                record=describe(record, mapping),
            )
        )
    return AccountsPlan(accounts=accounts, problems=problems)
