"""When a Banner section gets its Canvas course: one pure rule, shared by events and reconciliation.

An active section (SSBSECT_SSTS_CODE 'A') is provisioned once its first class is at most
``window_days`` away, or at once when Banner gives it no start date (nothing to wait for). A
cancelled or inactive section is never provisioned. The event specialist and the whole-term
reconciliation ask the same question, so a section provisioned by one is never undone by the other.
"""

from __future__ import annotations

from datetime import date, timedelta

ACTIVE = "A"


def provisioning_due(status: str, start: date | None, today: date, window_days: int) -> bool:
    """Whether a section with this status and first class should have its Canvas course now."""
    if status != ACTIVE:
        return False
    return start is None or start - timedelta(days=window_days) <= today


def not_due_reason(status: str, start: date | None, window_days: int) -> str:
    """One sentence on why a section is not provisioned yet (for the outcome's detail)."""
    if status != ACTIVE:
        return f"the section's status is {status!r}, not active: no Canvas course is made"
    opens = start - timedelta(days=window_days) if start else None
    return f"the section starts {start}: its Canvas course is made from {opens}"
