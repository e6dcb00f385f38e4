"""Canvas users from the SIS, one at a time through the Users API.

Bulk work sends users.csv in the SIS import that also carries the enrollments
(:mod:`tools.canvas.sis_imports`); an event's single student is made here, by ``POST
/accounts/:id/users`` with a pseudonym (login + SIS id) and the e-mail channel, and only when an
enrollment found the user missing, so that existing users cost nothing.
"""

from __future__ import annotations

from typing import Any

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.models import UserInfo, UserSpec


@canvas_operation
def create_user(client: CanvasClient, spec: UserSpec) -> UserInfo:
    """Create the user; a login or SIS id Canvas already holds is a ``CanvasRejected``.

    Not retried on an ambiguous answer: re-sending a create whose first attempt landed would be
    refused as taken, and the next run's enrollment finds the user either way.
    """
    pseudonym: dict[str, Any] = {"unique_id": spec.login_id, "sis_user_id": spec.sis_user_id}
    if spec.integration_id is not None:
        pseudonym["integration_id"] = spec.integration_id
    user: dict[str, Any] = {"name": spec.name, "skip_registration": True}
    if spec.short_name:
        user["short_name"] = spec.short_name
    if spec.sortable_name:
        user["sortable_name"] = spec.sortable_name
    options: dict[str, Any] = {"user": user}
    if spec.email:
        options["communication_channel"] = {
            "type": "email",
            "address": spec.email,
            "skip_confirmation": True,
        }
    made = client.account.create_user(pseudonym, **options)
    return UserInfo(
        id=made.id,
        name=made.name,
        sis_user_id=getattr(made, "sis_user_id", None),
        login_id=getattr(made, "login_id", None),
    )
