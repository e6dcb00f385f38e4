"""The Users API and users.csv: integration ids, edits through ``PUT /users/:id``, suspended
logins."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.canvas.storage import SCHEMA, Store
from sandbox.canvas.testing import SimulatorHandle


def _api(sim: SimulatorHandle, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.request(
        method,
        f"{sim.base_url}/api/v1{path}",
        headers={"Authorization": f"Bearer {sim.token}"},
        **kwargs,
    )


def _create(sim: SimulatorHandle, sis_id: str, **extra: str) -> dict[str, Any]:
    response = _api(
        sim,
        "POST",
        "/accounts/1/users",
        data={
            "user[name]": "Ada Lovelace",
            "pseudonym[unique_id]": sis_id.lower(),
            "pseudonym[sis_user_id]": sis_id,
            **extra,
        },
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_created_user_keeps_its_integration_id_and_is_found_by_sis_id(
    sim: SimulatorHandle,
) -> None:
    made = _create(sim, "B001", **{"pseudonym[integration_id]": "INT-1"})
    assert made["integration_id"] == "INT-1"
    found = _api(sim, "GET", "/users/sis_user_id:B001").json()
    assert found["id"] == made["id"] and found["integration_id"] == "INT-1"
    assert _create(sim, "B002")["integration_id"] is None
    taken = _api(
        sim,
        "POST",
        "/accounts/1/users",
        data={"pseudonym[unique_id]": "b003", "pseudonym[integration_id]": "INT-1"},
    )
    assert taken.status_code == 400
    assert _api(sim, "GET", "/users/sis_user_id:NOPE").status_code == 404


def test_put_user_updates_names_and_email(sim: SimulatorHandle) -> None:
    made = _create(sim, "B010")
    assert (made["short_name"], made["sortable_name"]) == ("Ada Lovelace", "Lovelace, Ada")

    renamed = _api(sim, "PUT", f"/users/{made['id']}", data={"user[name]": "Ada King"})
    assert renamed.status_code == 200
    body = renamed.json()
    assert (body["name"], body["short_name"], body["sortable_name"]) == (
        "Ada King",
        "Ada King",
        "King, Ada",
    )  # derived names follow the new name

    edited = _api(
        sim,
        "PUT",
        "/users/sis_user_id:B010",
        data={
            "user[short_name]": "Ada",
            "user[sortable_name]": "King, Augusta Ada",
            "user[email]": "ada@example.edu",
        },
    ).json()
    assert (edited["name"], edited["short_name"], edited["sortable_name"], edited["email"]) == (
        "Ada King",
        "Ada",
        "King, Augusta Ada",
        "ada@example.edu",
    )
    again = _api(sim, "PUT", f"/users/{made['id']}", data={"user[name]": "Ada Byron"}).json()
    assert (again["short_name"], again["sortable_name"]) == ("Ada", "King, Augusta Ada")
    assert _api(sim, "GET", f"/users/{made['id']}").json() == again


def test_put_unknown_user_is_404(sim: SimulatorHandle) -> None:
    response = _api(sim, "PUT", "/users/999999", data={"user[name]": "Nobody"})
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}


def test_a_database_from_before_integration_ids_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA.replace(" integration_id TEXT UNIQUE,", ""))
    old.close()
    Store(path)  # opens the old file
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (name, login_id, sis_user_id, integration_id, account_id,"
            " workflow_state, created_at) VALUES ('A', 'a', 'A1', 'I1', 1, 'registered', 'now')"
        )
        with pytest.raises(sqlite3.IntegrityError):  # still one user per integration id
            conn.execute(
                "INSERT INTO users (name, login_id, sis_user_id, integration_id, account_id,"
                " workflow_state, created_at) VALUES ('B', 'b', 'B1', 'I1', 1, 'registered', 'x')"
            )
