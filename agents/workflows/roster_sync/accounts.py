"""Enrollments by REST that make the users they find missing: an event's student, instructors.

Each enrollment is sent first; only one that finds its user missing makes the user through the
Users API, from the account Banner gives that person, and is sent once more. An existing user
therefore costs nothing beyond the enrollment itself. A person with no planned account (Banner
could not give one: the caller raised that problem) stays missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from agents.rules.accounts import CanvasAccount
from tools.canvas import enrollments, users
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasRejected
from tools.canvas.models import EnrollmentResult, EnrollmentSpec, SisUserRow, UserSpec


class AccountEnrollment(BaseModel):
    """One enrollment's end: made, still missing something, or its user refused by Canvas."""

    model_config = ConfigDict(frozen=True)

    spec: EnrollmentSpec
    missing: str | None = None  # what Canvas still lacks for it: "user", "section", ...
    refused: str | None = None  # why Canvas would not make the user (a login it gives another)


class AccountEnrollments(BaseModel):
    """A batch's outcomes, in the order of its specs, and how many users it made."""

    model_config = ConfigDict(frozen=True)

    outcomes: list[AccountEnrollment]
    users_created: int


def user_spec(account: CanvasAccount) -> UserSpec:
    """The account as the Users API's request."""
    return UserSpec(
        sis_user_id=account.sis_user_id,
        login_id=account.login_id,
        integration_id=account.integration_id,
        name=account.name,
        short_name=account.short_name,
        sortable_name=account.sortable_name,
        email=account.email,
    )


def user_row(account: CanvasAccount) -> SisUserRow:
    """The account as a users.csv row (the SIS import's form of the same fields)."""
    spec = user_spec(account)
    return SisUserRow(
        user_id=spec.sis_user_id,
        login_id=spec.login_id,
        integration_id=spec.integration_id,
        full_name=spec.name,
        sortable_name=spec.sortable_name,
        short_name=spec.short_name,
        email=spec.email,
    )


def _outcome(result: EnrollmentResult) -> AccountEnrollment:
    return AccountEnrollment(
        spec=result.spec, missing=result.missing.kind if result.missing else None
    )


def enroll_making_users(
    client: CanvasClient,
    specs: Sequence[EnrollmentSpec],
    accounts: Mapping[str, CanvasAccount],
) -> AccountEnrollments:
    """Enroll; make each missing user that has an account (once), then enroll it again."""
    outcomes = [_outcome(r) for r in enrollments.enroll_many(client, specs)]
    waiting = [
        n
        for n, o in enumerate(outcomes)
        if o.missing == "user" and (o.spec.sis_user_id or "") in accounts
    ]
    refusals: dict[str, str | None] = {}
    for n in waiting:
        sis_id = outcomes[n].spec.sis_user_id or ""
        if sis_id in refusals:
            continue
        try:
            users.create_user(client, user_spec(accounts[sis_id]))
            refusals[sis_id] = None
        except CanvasRejected as refused:
            refusals[sis_id] = str(refused)
    again = [n for n in waiting if refusals[outcomes[n].spec.sis_user_id or ""] is None]
    for n in waiting:
        if n not in again:
            outcomes[n] = outcomes[n].model_copy(
                update={"refused": refusals[outcomes[n].spec.sis_user_id or ""]}
            )
    results = enrollments.enroll_many(client, [outcomes[n].spec for n in again])
    for n, result in zip(again, results, strict=True):
        outcomes[n] = _outcome(result)
    made = sum(refusal is None for refusal in refusals.values())
    return AccountEnrollments(outcomes=outcomes, users_created=made)
