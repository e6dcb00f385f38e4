"""Drops and withdrawals: the Canvas enrollment loses access as soon as Banner says so.

The plan comes from the census rule (withdrawn → inactive, kept for the record; dropped after
census → inactive; dropped on or before census → deleted), for the student's enrollment in the
CRN's own Canvas section, which for a cross-listed CRN lives in the group's course. A drop that
arrives before its add, or for a student Banner still shows as enrolled, plans what Banner says
now; see :mod:`agents.specialists.sync`. Ending a single enrollment never reaches the mass-drop
share, so no approval is asked for here; a reconciliation that ends many does ask.
"""

from __future__ import annotations

from agents.deps import GraphDeps
from agents.routing import Specialist
from agents.specialists.sync import Compiled, build_event_sync

REASONING = (
    "Banner event {kind} for section {term}/{crn}: end this student's Canvas access as the census"
    " rule says (inactive after census or when withdrawn, deleted on or before census)."
)


def build(deps: GraphDeps) -> Compiled:
    """The withdrawal specialist: one scoped plan-and-apply through the guard."""
    return build_event_sync(deps, Specialist.WITHDRAWALS, REASONING)
