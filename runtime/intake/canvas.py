"""Canvas Live Events (HTTPS delivery) → typed events.

Canvas POSTs one envelope per event, ``{"metadata": {...}, "body": {...}}``, all ids as strings,
or the same envelope as the claims of a JWT when signing is on. Canvas retries up to three
times and neither dedupes nor orders, so the event id is derived from what a redelivery repeats
exactly (``request_id``, ``event_name``, ``event_time`` and the object's ids) and the inbox
orders by ``metadata.event_time``.

Handled: ``enrollment_created``/``enrollment_updated`` → :class:`CanvasEnrollmentChanged`,
``submission_created``/``submission_updated`` → :class:`CanvasSubmission`, ``grade_change`` →
:class:`CanvasGradeChange`. Other event names are well-formed but not acted on
(:class:`IgnoredEvent`).

Courses: Canvas names them by its numeric ids (``body.course_id``, else ``metadata.context_id``
of a ``Course`` context), and real Canvas adds the course's SIS id as
``metadata.context_sis_source_id``. The agents address a course by its SIS id (``{term}-{crn}``
names one Banner section), so a submission or grade change whose envelope names the SIS id
carries it as ``course_id``; every event keeps Canvas's id as ``canvas_course_id`` and the SIS id
as ``course_sis_id``. An enrollment event's ``course_id`` stays Canvas's id: the enrollment is
traced through Canvas by its ids.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jwt
from pydantic import Field, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from agents.events import CanvasEnrollmentChanged, CanvasGradeChange, CanvasSubmission, Event
from runtime.intake import IgnoredEvent, MalformedEvent

SOURCE = "canvas"
_TIME = TypeAdapter(datetime)


class UnsignedEvent(MalformedEvent):
    """Signing is required and the body is not a JWT with a valid signature."""


class LiveEventsConfig(BaseSettings):
    """Live Events webhook settings (``BCA_CANVAS_LIVE_EVENTS_*``).

    A valid signature is required by default: an unsigned ``enrollment_updated`` from anyone
    would otherwise be acted on. With no key configured every body is refused (and kept, so it
    can be replayed once the key is set); only ``accept_unsigned``, a sandbox setting that
    ``bca up`` refuses on a host other than loopback, takes plain JSON.
    """

    model_config = SettingsConfigDict(env_prefix="BCA_CANVAS_LIVE_EVENTS_", extra="ignore")

    jwt_key: SecretStr = Field(
        SecretStr(""),
        description="HS256 shared secret, or an RS256 public key in PEM, that every body must be "
        "signed with.",
    )
    accept_unsigned: bool = Field(
        False,
        description="Sandbox only: with no key, accept plain JSON bodies from anyone.",
    )
    max_age_s: int = Field(
        3600,
        ge=1,
        description="A signed body without an exp claim must have been issued (iat) at most this "
        "many seconds ago: an old delivery is refused, not only deduplicated.",
    )
    max_body_bytes: int = Field(256 * 1024, description="Largest accepted body, in bytes.")
    rejected_per_minute: int = Field(
        60,
        ge=1,
        description="Refused bodies kept per client address a minute; beyond it 429, not kept "
        "(anyone can post, and each refusal is a stored row).",
    )

    @property
    def signing_required(self) -> bool:
        """False only for an explicit sandbox without a key."""
        return bool(self.jwt_key.get_secret_value()) or not self.accept_unsigned

    def algorithms(self) -> list[str]:
        """RS256 for a PEM public key, HS256 for a shared secret: never both (no alg confusion)."""
        return ["RS256"] if self.jwt_key.get_secret_value().startswith("-----BEGIN") else ["HS256"]


def decode_body(raw: bytes, config: LiveEventsConfig, *, fresh: bool = True) -> dict[str, Any]:
    """The envelope from a raw body: verified JWT claims when signing is on, else plain JSON.

    ``fresh`` checks the delivery's age (``exp``, else ``iat`` within ``max_age_s``); an
    operator's replay of a kept body turns it off, since the body's age is then the point.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedEvent("body is not UTF-8 text") from None
    if config.signing_required:
        return _verified_claims(text.strip(), config, fresh=fresh)
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedEvent(f"body is not JSON: {exc}") from None
    if not isinstance(envelope, dict):
        raise MalformedEvent("body is not a JSON object")
    return envelope


def _verified_claims(token: str, config: LiveEventsConfig, *, fresh: bool) -> dict[str, Any]:
    key = config.jwt_key.get_secret_value()
    if not key:
        raise UnsignedEvent(
            "no Live Events signing key is configured (BCA_CANVAS_LIVE_EVENTS_JWT_KEY), so "
            "unsigned bodies are refused; a sandbox may set "
            "BCA_CANVAS_LIVE_EVENTS_ACCEPT_UNSIGNED=true"
        )
    try:
        claims = dict(
            jwt.decode(
                token,
                key,
                algorithms=config.algorithms(),
                options={"verify_aud": False, "verify_exp": fresh, "verify_iat": fresh},
            )
        )
    except jwt.PyJWTError as exc:
        raise UnsignedEvent(f"signing is required and the body is not a valid JWT: {exc}") from None
    if fresh and "exp" not in claims:
        issued = claims.get("iat")
        if not isinstance(issued, int | float):
            raise UnsignedEvent("a signed body needs an exp or an iat claim (when it was sent)")
        age = time.time() - issued
        if age > config.max_age_s:
            raise UnsignedEvent(
                f"signed {age:.0f} s ago, more than BCA_CANVAS_LIVE_EVENTS_MAX_AGE_S "
                f"({config.max_age_s} s): a stale or replayed delivery"
            )
    return claims


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise MalformedEvent(f"{key} is missing")
    return str(value)


def _optional(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None or value == "" else str(value)


_SHARD = 10**13
"""Canvas global ids are ``shard * 10**13 + local id``; an envelope may mix the two forms."""


def _same_canvas_id(a: str, b: str) -> bool:
    if a == b:
        return True
    return a.isdigit() and b.isdigit() and int(a) % _SHARD == int(b) % _SHARD


def course_ids(
    metadata: Mapping[str, Any], body: Mapping[str, Any]
) -> tuple[str | None, str | None]:
    """(Canvas id, SIS id) of the course an envelope is about; either may be None.

    The Canvas id is the body's ``course_id``, else the ``context_id`` of a ``Course`` context.
    The SIS id is that context's ``context_sis_source_id``, taken only when the context is the
    event's own course: a body naming another course (the request was made elsewhere) gets none.
    """
    in_course = metadata.get("context_type") == "Course"
    context = _optional(metadata, "context_id") if in_course else None
    named = _optional(body, "course_id")
    if context is None or (named is not None and not _same_canvas_id(named, context)):
        return named or context, None
    return named or context, _optional(metadata, "context_sis_source_id")


def event_id_for(metadata: Mapping[str, Any], *object_ids: str | None) -> str:
    """A stable id: the same delivery, redelivered by Canvas, gets the same id."""
    parts = [
        str(metadata.get("request_id") or ""),
        str(metadata.get("event_name") or ""),
        str(metadata.get("event_time") or ""),
        *(oid or "" for oid in object_ids),
    ]
    return "canvas:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def event_from_envelope(envelope: Mapping[str, Any]) -> Event:
    """Map a Live Event envelope to a typed event; raises Malformed/IgnoredEvent."""
    metadata, body = envelope.get("metadata"), envelope.get("body")
    if not isinstance(metadata, dict) or not isinstance(body, dict):
        raise MalformedEvent("envelope needs a 'metadata' object and a 'body' object")
    name = _text(metadata, "event_name")
    try:
        occurred_at = _TIME.validate_python(_text(metadata, "event_time"))
    except ValidationError:
        raise MalformedEvent(f"event_time {metadata.get('event_time')!r} is not a time") from None
    canvas_course_id, course_sis_id = course_ids(metadata, body)
    courses = {"canvas_course_id": canvas_course_id, "course_sis_id": course_sis_id}
    try:
        match name:
            case "enrollment_created" | "enrollment_updated":
                enrollment_id = _text(body, "enrollment_id")
                return CanvasEnrollmentChanged(
                    event_id=event_id_for(metadata, enrollment_id),
                    occurred_at=occurred_at,
                    course_id=_text(body, "course_id"),
                    **courses,
                    user_id=_text(body, "user_id"),
                    section_id=_optional(body, "course_section_id"),
                    workflow_state=_text(body, "workflow_state"),
                    enrollment_type=_optional(body, "type") or "StudentEnrollment",
                )
            case "submission_created" | "submission_updated":
                submission_id = _text(body, "submission_id")
                return CanvasSubmission(
                    event_id=event_id_for(metadata, submission_id),
                    occurred_at=occurred_at,
                    course_id=course_sis_id or canvas_course_id or _text(body, "course_id"),
                    **courses,
                    user_id=_text(body, "user_id"),
                    assignment_id=_text(body, "assignment_id"),
                    late=bool(body.get("late", False)),
                    missing=bool(body.get("missing", False)),
                )
            case "grade_change":
                student = _optional(body, "student_id") or _optional(body, "user_id")
                return CanvasGradeChange(
                    event_id=event_id_for(
                        metadata,
                        _optional(body, "submission_id"),
                        body.get("assignment_id"),
                        student,
                    ),
                    occurred_at=occurred_at,
                    course_id=course_sis_id or canvas_course_id or _text(body, "course_id"),
                    **courses,
                    user_id=student,
                    user_sis_id=_optional(body, "student_sis_id"),
                    assignment_id=_text(body, "assignment_id"),
                    grade=_optional(body, "grade"),
                    old_grade=_optional(body, "old_grade"),
                    score=body.get("score"),
                    old_score=body.get("old_score"),
                )
            case _:
                raise IgnoredEvent(f"Canvas event {name!r} is not one the agents act on")
    except ValidationError as exc:
        raise MalformedEvent(f"{name} body does not make a valid event: {exc}") from None


def parse_body(raw: bytes, config: LiveEventsConfig, *, fresh: bool = True) -> Event:
    """Raw webhook body → typed event (verification, decoding and mapping in one call)."""
    return event_from_envelope(decode_body(raw, config, fresh=fresh))
