"""Scores, letter grades and submission status, computed the way Canvas's gradebook does.

* A grading standard (scheme) is a list of ``[name, lower_bound]`` with bounds as fractions,
  highest first; a percentage gets the first name whose bound it reaches.
* ``current_score`` counts only graded (non-excused) assignments; ``final_score`` counts every
  published assignment with points, ungraded ones as zero. Both are percentages (2 decimals).
* A submission is ``late`` when submitted after the due date, ``missing`` when the due date has
  passed with nothing submitted and no grade, and ``seconds_late`` measures the lateness.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from sandbox.canvas.errors import bad_request

Scheme = list[tuple[str, float]]


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or offset) or None."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def scheme_of(conn: sqlite3.Connection, standard_id: int | None) -> Scheme | None:
    """The course's grading scheme, highest band first, or None without one."""
    if standard_id is None:
        return None
    row = conn.execute("SELECT data FROM grading_standards WHERE id = ?", (standard_id,)).fetchone()
    if row is None:
        return None
    return sorted(((str(n), float(v)) for n, v in json.loads(row["data"])), key=lambda e: -e[1])


def letter(scheme: Scheme | None, percent: float | None) -> str | None:
    """The band a percentage falls in (None without a scheme or a score)."""
    if scheme is None or percent is None:
        return None
    for name, bound in scheme:
        if percent / 100.0 >= bound - 1e-9:
            return name
    return scheme[-1][0]


def posted_grade_to_score(
    posted: str, points_possible: float | None, grading_type: str, scheme: Scheme | None
) -> tuple[float | None, str | None]:
    """Interpret ``submission[posted_grade]``: points, a percentage, a letter, or pass/fail."""
    text = posted.strip()
    points = points_possible or 0.0
    if text == "":
        return None, None
    if text.endswith("%"):
        try:
            score = round(float(text[:-1]) / 100.0 * points, 2)
        except ValueError:
            raise bad_request(f"invalid posted_grade {posted!r}") from None
        return score, _grade_for(score, points, grading_type, scheme)
    try:
        score = float(text)
    except ValueError:
        pass
    else:
        return score, _grade_for(score, points, grading_type, scheme)
    lowered = text.lower()
    if lowered in {"pass", "complete"}:
        return points, "complete"
    if lowered in {"fail", "incomplete"}:
        return 0.0, "incomplete"
    if scheme is not None:
        for index, (name, _bound) in enumerate(scheme):
            if name.lower() == lowered:
                top = 1.0 if index == 0 else scheme[index - 1][1]
                return round(top * points, 2), name
    raise bad_request(f"invalid posted_grade {posted!r}")


def _grade_for(score: float, points: float, grading_type: str, scheme: Scheme | None) -> str:
    if grading_type == "percent" and points:
        return f"{round(score / points * 100, 2):g}%"
    if grading_type == "letter_grade" and points:
        return letter(scheme, score / points * 100) or f"{score:g}"
    if grading_type == "pass_fail":
        return "complete" if score > 0 else "incomplete"
    return f"{score:g}"


@dataclass(frozen=True)
class Status:
    """Derived submission flags."""

    late: bool
    missing: bool
    seconds_late: int


def status(
    due_at: str | None, submitted_at: str | None, graded: bool, excused: bool, now: datetime
) -> Status:
    """``late``, ``missing`` and ``seconds_late`` of one submission."""
    due, submitted = parse_time(due_at), parse_time(submitted_at)
    if excused or due is None:
        return Status(False, False, 0)
    if submitted is not None:
        seconds = int((submitted - due).total_seconds())
        return Status(seconds > 0, False, max(0, seconds))
    return Status(False, not graded and now > due, 0)


@dataclass(frozen=True)
class Grades:
    """An enrollment's ``grades`` object."""

    current_score: float | None
    final_score: float | None
    current_grade: str | None
    final_grade: str | None

    def as_json(self, html_url: str) -> dict[str, object]:
        """Canvas's ``grades`` hash."""
        return {
            "html_url": html_url,
            "current_score": self.current_score,
            "final_score": self.final_score,
            "current_grade": self.current_grade,
            "final_grade": self.final_grade,
            "unposted_current_score": self.current_score,
            "unposted_final_score": self.final_score,
            "unposted_current_grade": self.current_grade,
            "unposted_final_grade": self.final_grade,
        }


def course_grades(
    conn: sqlite3.Connection, course_id: int, user_ids: list[int]
) -> dict[int, Grades]:
    """Grades of the given students in a course, in two queries."""
    course = conn.execute(
        "SELECT grading_standard_id FROM courses WHERE id = ?", (course_id,)
    ).fetchone()
    scheme = scheme_of(conn, course["grading_standard_id"] if course else None)
    assignments = {
        row["id"]: float(row["points_possible"] or 0)
        for row in conn.execute(
            "SELECT id, points_possible FROM assignments WHERE course_id = ? AND published = 1",
            (course_id,),
        )
    }
    earned: dict[int, list[tuple[int, float | None, bool]]] = {u: [] for u in user_ids}
    if user_ids and assignments:
        marks = ",".join("?" * len(user_ids))
        rows = conn.execute(
            "SELECT s.user_id, s.assignment_id, s.score, s.excused FROM submissions s"
            " JOIN assignments a ON a.id = s.assignment_id"
            f" WHERE a.course_id = ? AND a.published = 1 AND s.user_id IN ({marks})",
            (course_id, *user_ids),
        )
        for row in rows:
            earned[row["user_id"]].append(
                (row["assignment_id"], row["score"], bool(row["excused"]))
            )
    total_points = sum(assignments.values())
    result: dict[int, Grades] = {}
    for user_id in user_ids:
        graded = [(a, s) for a, s, excused in earned[user_id] if s is not None and not excused]
        excused_points = sum(assignments[a] for a, _s, ex in earned[user_id] if ex)
        graded_points = sum(assignments[a] for a, _ in graded)
        got = sum(s for _, s in graded if s is not None)
        current = round(got / graded_points * 100, 2) if graded_points else None
        final_base = total_points - excused_points
        final = round(got / final_base * 100, 2) if final_base else None
        result[user_id] = Grades(current, final, letter(scheme, current), letter(scheme, final))
    return result
