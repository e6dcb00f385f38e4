"""Seeding helpers shared by the Canvas tool tests."""

from __future__ import annotations

import uuid

from tools.canvas.client import CanvasClient
from tools.canvas.courses import ensure_course_shell, ensure_section
from tools.canvas.lookup import get_user
from tools.canvas.models import CourseShellSpec, SectionSpec, UserInfo
from tools.canvas.session import RetryPolicy

FAST_RETRY = RetryPolicy(attempts=8, initial_wait=0.02, max_wait=0.5, jitter=0.05)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_user(client: CanvasClient, sis_user_id: str, name: str | None = None) -> UserInfo:
    client.account.create_user(
        {"unique_id": f"{sis_user_id.lower()}@example.edu", "sis_user_id": sis_user_id},
        user={"name": name or f"Student {sis_user_id}"},
    )
    return UserInfo.of(get_user(client, sis_user_id))


def make_section(client: CanvasClient, tag: str) -> tuple[str, str]:
    """A fresh course with one section; returns (sis_course_id, sis_section_id)."""
    course, section = unique(f"{tag}-C"), unique(f"{tag}-S")
    ensure_course_shell(client, CourseShellSpec(sis_course_id=course, name=tag, course_code=tag))
    ensure_section(client, SectionSpec(sis_course_id=course, sis_section_id=section, name=tag))
    return course, section
