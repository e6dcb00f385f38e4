"""Importer for the users file: people, upserted by SIS user id.

Users are their own concept: the only file with login uniqueness to enforce (a login already
owned by another SIS id is refused) and with derived names (full, sortable, short).
"""

from __future__ import annotations

from sandbox.canvas.sis_import.csv_files import CsvFile
from sandbox.canvas.sis_import.run import Run
from sandbox.canvas.storage import utcnow

_STATES = {"active": "registered", "deleted": "deleted", "suspended": "suspended"}
"""users.csv ``status`` to the stored ``workflow_state``: a suspended login's user stays."""


def import_users(run: Run, file: CsvFile) -> None:
    """Upsert the rows of users.csv.

    Columns: ``user_id,login_id,integration_id,first_name,last_name,full_name,sortable_name,
    short_name,email,status``; ``suspended`` keeps the user and marks its login suspended.
    """
    owners = {
        r[0]: r[1]
        for r in run.conn.execute(
            "SELECT login_id, sis_user_id FROM users WHERE login_id IS NOT NULL"
        )
    }
    integrations = {
        r[0]: r[1]
        for r in run.conn.execute(
            "SELECT integration_id, sis_user_id FROM users WHERE integration_id IS NOT NULL"
        )
    }
    now, values = utcnow(), []
    for line, row in file.rows:
        sis_id, login = row.get("user_id", ""), row.get("login_id", "")
        integration_id = row.get("integration_id") or None
        status = row.get("status", "")
        if not sis_id:
            run.error(file, line, "No user_id given for a user")
        elif not login:
            run.error(file, line, f"No login_id given for user {sis_id}")
        elif status not in {"active", "deleted", "suspended"}:
            run.error(file, line, f'Improper status "{status}" for user {sis_id}')
        elif owners.get(login, sis_id) != sis_id:
            run.error(file, line, f"An existing Canvas user with the login {login} already exists")
        elif integration_id and integrations.get(integration_id, sis_id) != sis_id:
            run.error(file, line, f"An existing user with integration_id {integration_id} exists")
        else:
            owners[login] = sis_id
            if integration_id:
                integrations[integration_id] = sis_id
            first, last = row.get("first_name", ""), row.get("last_name", "")
            name = row.get("full_name") or f"{first} {last}".strip() or login
            sortable = row.get("sortable_name") or (f"{last}, {first}" if last else name)
            values.append(
                (
                    name,
                    sortable,
                    row.get("short_name") or name,
                    login,
                    sis_id,
                    integration_id,
                    row.get("email") or None,
                    _STATES[status],
                    now,
                    run.import_id,
                )
            )
    run.conn.executemany(
        "INSERT INTO users (name, sortable_name, short_name, login_id, sis_user_id,"
        " integration_id, email, workflow_state, created_at, sis_batch_id, account_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT(sis_user_id) DO UPDATE SET"
        " name = excluded.name, sortable_name = excluded.sortable_name,"
        " short_name = excluded.short_name, login_id = excluded.login_id,"
        " integration_id = COALESCE(excluded.integration_id, integration_id),"
        " email = COALESCE(excluded.email, email), workflow_state = excluded.workflow_state,"
        " sis_batch_id = excluded.sis_batch_id",
        values,
    )
    run.count("users", len(values))
