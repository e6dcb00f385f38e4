"""Banner's keys as Canvas's: a student's Canvas user id, a section's course SIS id.

Shared by the tool catalogue and the contract tools, so every tool translates alike.
"""

from __future__ import annotations

from agents.toolbox.context import ToolContext
from core.ids import course_sis_id
from tools.banner import reads
from tools.canvas.lookup import find_user


def canvas_user_id(ctx: ToolContext, pidm: int) -> int:
    """The Canvas id of the user whose SIS id is the student's Banner ID."""
    banner_id = reads.person_by_pidm(ctx.banner, pidm).banner_id
    return find_user(ctx.lms(), banner_id).id


def course_of(ctx: ToolContext, term: str, crn: str) -> str:
    """The Canvas course SIS id of a section (its cross-list group's, when it has one)."""
    group = reads.crosslist_group(ctx.banner, term, crn)
    return course_sis_id(term, crn, group.group if group else None)
