"""Deterministic student activity for a course over a span of days.

Each active student is given a profile (engaged, average, struggling, absent) drawn from the
requested mix; then, day by day, page views and participations, and for every assignment due in
the span an on-time, late or missing submission, graded when submitted. Everything is drawn
from one ``random.Random(seed)`` in a fixed order (students by id, assignments by due date), so
the same seed, start and course give the same activity. The effects go through the same code as
the API: submissions, grades and their Live Events, analytics counters, and the enrollments'
``last_activity_at`` and ``total_activity_time``. A course without assignments due in the span
gets one per week, due on the seventh day at 23:59, each with a published "Week N" module.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from sandbox.canvas import refs
from sandbox.canvas.routes.assignments import grade, submit
from sandbox.canvas.simulator import Simulator, Tx
from sandbox.canvas.storage import utcnow

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Profile:
    """How one kind of student behaves."""

    active_share: float
    views: tuple[int, int]
    participation_share: float
    on_time: float
    late: float
    score: tuple[float, float]


PROFILES = {
    "engaged": Profile(0.9, (5, 20), 0.6, 0.9, 0.08, (0.8, 1.0)),
    "average": Profile(0.6, (2, 10), 0.35, 0.7, 0.2, (0.65, 0.9)),
    "struggling": Profile(0.3, (1, 5), 0.15, 0.35, 0.35, (0.4, 0.75)),
    "absent": Profile(0.03, (0, 2), 0.0, 0.0, 0.05, (0.2, 0.5)),
}


class ActivityRequest(BaseModel):
    """What to simulate (the JSON body of ``POST /sim/courses/:id/activity``)."""

    days: int = Field(14, ge=1, le=366)
    seed: int = 0
    start: datetime | None = Field(None, description="First day (default: `days` days ago).")
    profiles: dict[str, float] = Field(
        default_factory=lambda: {"engaged": 0.4, "average": 0.35, "struggling": 0.2, "absent": 0.05}
    )


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


def _ensure_assignments(tx: Tx, course_id: int, start: datetime, days: int) -> int:
    """Weekly assignments (each with its module) when none is due in the span; how many."""
    end = start + timedelta(days=days)
    due = tx.conn.execute(
        "SELECT COUNT(*) FROM assignments WHERE course_id = ? AND published = 1"
        " AND due_at >= ? AND due_at < ?",
        (course_id, _fmt(start), _fmt(end)),
    ).fetchone()[0]
    if due:
        return 0
    weeks = max(1, days // 7)
    now = utcnow()
    for week in range(weeks):
        due_at = start + timedelta(days=min(days, 7 * (week + 1)) - 1, hours=23, minutes=59)
        tx.conn.execute(
            "INSERT INTO assignments (course_id, name, points_possible, due_at, position,"
            " created_at, updated_at) VALUES (?, ?, 10, ?, ?, ?, ?)",
            (course_id, f"Week {week + 1} activity", _fmt(due_at), week + 1, now, now),
        )
        tx.conn.execute(
            "INSERT INTO modules (course_id, name, position, published, unlock_at, created_at)"
            " VALUES (?, ?, (SELECT COUNT(*) + 1 FROM modules WHERE course_id = ?), 1, ?, ?)",
            (course_id, f"Week {week + 1}", course_id, _fmt(due_at - timedelta(days=7)), now),
        )
    return weeks


def simulate(sim: Simulator, course_ref: str, request: ActivityRequest) -> dict[str, Any]:
    """Run the simulation in one transaction and summarise what happened."""
    unknown = set(request.profiles) - set(PROFILES)
    if unknown or not any(v > 0 for v in request.profiles.values()):
        raise ValueError(f"profiles must weigh some of {sorted(PROFILES)}")
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = (request.start or today - timedelta(days=request.days)).astimezone(UTC)
    rng = random.Random(request.seed)
    names = sorted(request.profiles)
    weights = [request.profiles[n] for n in names]
    summary: dict[str, Any] = {
        "page_views": 0,
        "participations": 0,
        "on_time": 0,
        "late": 0,
        "missing": 0,
        "profiles": {},
    }
    with sim.transaction() as tx:
        course = refs.get(tx.conn, "courses", course_ref)
        summary["assignments_created"] = _ensure_assignments(tx, course["id"], start, request.days)
        assignments = tx.conn.execute(
            "SELECT * FROM assignments WHERE course_id = ? AND published = 1 AND due_at >= ?"
            " AND due_at < ? ORDER BY due_at, id",
            (course["id"], _fmt(start), _fmt(start + timedelta(days=request.days))),
        ).fetchall()
        students = tx.conn.execute(
            "SELECT e.id AS enrollment_id, u.* FROM enrollments e JOIN users u ON u.id = e.user_id"
            " WHERE e.course_id = ? AND e.type = 'StudentEnrollment'"
            " AND e.workflow_state = 'active'"
            " ORDER BY u.id, e.id",
            (course["id"],),
        ).fetchall()
        for student in students:
            name = rng.choices(names, weights)[0]
            profile = PROFILES[name]
            summary["profiles"][name] = summary["profiles"].get(name, 0) + 1
            views = parts = 0
            last_active: datetime | None = None
            for day in range(request.days):
                if rng.random() < profile.active_share:
                    views += rng.randint(*profile.views)
                    parts += int(rng.random() < profile.participation_share)
                    last_active = start + timedelta(days=day, hours=rng.randint(8, 22))
            for assignment in assignments:
                due = datetime.strptime(assignment["due_at"], TIME_FORMAT).replace(tzinfo=UTC)
                dice = rng.random()
                if dice < profile.on_time:
                    outcome, when = "on_time", due - timedelta(hours=rng.randint(1, 48))
                elif dice < profile.on_time + profile.late:
                    outcome, when = "late", due + timedelta(hours=rng.randint(1, 72))
                else:
                    summary["missing"] += 1
                    continue
                summary[outcome] += 1
                submit(
                    tx,
                    assignment["id"],
                    student["id"],
                    "online_text_entry",
                    "simulated",
                    None,
                    _fmt(when),
                )
                points = float(assignment["points_possible"] or 0)
                score = round(points * rng.uniform(*profile.score), 1)
                grade(tx, assignment, student, f"{score:g}", excuse=False)
            tx.conn.execute(
                "INSERT INTO activity (course_id, user_id, page_views, participations)"
                " VALUES (?, ?, ?, ?) ON CONFLICT(course_id, user_id) DO UPDATE SET"
                " page_views = page_views + excluded.page_views,"
                " participations = participations + excluded.participations",
                (course["id"], student["id"], views, parts),
            )
            if last_active is not None:
                tx.conn.execute(
                    "UPDATE enrollments SET last_activity_at = MAX(COALESCE(last_activity_at, ''),"
                    " ?), total_activity_time = total_activity_time + ? WHERE id = ?",
                    (_fmt(last_active), views * 45, student["enrollment_id"]),
                )
            summary["page_views"] += views
            summary["participations"] += parts
    return {
        "course_id": course["id"],
        "days": request.days,
        "seed": request.seed,
        "start": _fmt(start),
        "students": len(students),
        **summary,
    }
