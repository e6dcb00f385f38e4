"""The one clock the app's own records are stamped with: aware UTC.

Banner's dates are local calendar days and come from the caller (``today``); the inbox, the
ledger, the audit trail and the vaults stamp instants, always in UTC, through :func:`utcnow`
so that a test can see one place where time enters.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)
