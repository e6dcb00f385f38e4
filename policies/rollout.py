"""Rollout controls as data: per workflow, which sections it runs for and how far it may act.

``policies/rollout.yaml`` (path from ``BCA_ROLLOUT_FILE``) gives each workflow a default
:class:`Mode` and an ordered list of scoped rules, LaunchDarkly-style: the first rule whose
scope matches the section a call is bound to decides; no match, the default. The modes, from
the most to the least restrictive:

- ``off``: the workflow does nothing (the kill switch);
- ``shadow``: reads run, so the plan is real; writes are recorded, not executed;
- ``approve``: every write waits for a person;
- ``auto``: today's behaviour (approvals where the RBAC policy asks for them).

A call bound to no single section (a term-wide reconciliation) cannot be told apart by a
department rule, so it is held to the *strictest* mode among the rules that could match it, up
to the first that surely does: a department in shadow keeps a term-wide apply in shadow too.

The guard (:mod:`policies.guard`) reads the file through :class:`RolloutControl`, which
re-reads it when its modification time changes (one ``stat`` per call), so ``off`` takes effect
without a restart; a file that fails to load is refused with ``file:line: reason`` and the
running configuration is kept.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from core.errors import ConfigurationError
from policies.yaml_lines import line_of, load_located, yaml_error_line

log = logging.getLogger(__name__)

DEFAULT_ROLLOUT_PATH = Path(__file__).with_name("rollout.yaml")
SHADOWED = "Shadowed by rollout"
"""How a shadowed call's answer starts: the specialists tell it from a refusal by this."""


class Workflow(StrEnum):
    """Every workflow a rollout can be set for."""

    PROVISIONING = "provisioning"
    ROSTER_SYNC = "roster_sync"
    WITHDRAWALS = "withdrawals"
    GRADE_PASSBACK = "grade_passback"
    EARLY_ALERTS = "early_alerts"
    INCOMPLETES = "incompletes"
    CHATBOT = "chatbot"


class Mode(StrEnum):
    """How far a workflow may act; see the module docstring."""

    OFF = "off"
    SHADOW = "shadow"
    APPROVE = "approve"
    AUTO = "auto"

    @property
    def strictness(self) -> int:
        """Lower is stricter: ``off`` 0 ... ``auto`` 3."""
        return list(Mode).index(self)


def _yaml_off(value: Any) -> Any:
    """YAML 1.1 reads a bare ``off`` as false; in a mode field it can only mean ``off``."""
    return Mode.OFF if value is False else value


ModeValue = Annotated[Mode, BeforeValidator(_yaml_off)]


class ScopeKey(StrEnum):
    """What a rule can target; ``courses`` takes a CRN or ``SUBJ NUM`` (e.g. ``MATH 1010``)."""

    SUBJECTS = "subjects"
    DEPARTMENTS = "departments"
    COLLEGES = "colleges"
    CAMPUSES = "campuses"
    COURSES = "courses"
    TERMS = "terms"


class Target(BaseModel):
    """What a call is bound to, from trusted context (the event and Banner), never a model.

    Attributes left ``None`` are unknown (a term-wide call has no section).
    """

    model_config = ConfigDict(frozen=True)

    term: str | None = None
    crn: str | None = None
    subject: str | None = None
    course_number: str | None = None
    department: str | None = None
    college: str | None = None
    campus: str | None = None

    def values(self, key: ScopeKey) -> frozenset[str] | None:
        """The target's values for ``key`` (upper case), or None when it is unknown."""
        found: tuple[str | None, ...]
        match key:
            case ScopeKey.SUBJECTS:
                found = (self.subject,)
            case ScopeKey.DEPARTMENTS:
                found = (self.department,)
            case ScopeKey.COLLEGES:
                found = (self.college,)
            case ScopeKey.CAMPUSES:
                found = (self.campus,)
            case ScopeKey.TERMS:
                found = (self.term,)
            case ScopeKey.COURSES:
                course = f"{self.subject} {self.course_number}" if self.subject else None
                found = (self.crn, course if self.course_number else None)
        known = frozenset(v.upper() for v in found if v)
        return known or None


class Rule(BaseModel):
    """One targeting rule: a mode for the sections its scope matches (every key must match)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: ModeValue
    scope: dict[ScopeKey, list[str]] = Field(min_length=1)

    @field_validator("scope")
    @classmethod
    def _values_given(cls, scope: dict[ScopeKey, list[str]]) -> dict[ScopeKey, list[str]]:
        empty = sorted(key.value for key, values in scope.items() if not values)
        if empty:
            raise ValueError(f"scope keys with no values: {', '.join(empty)}")
        return {key: [str(v).strip() for v in values] for key, values in scope.items()}

    def match(self, target: Target) -> bool | None:
        """True or False when the target's attributes decide it; None when some are unknown."""
        unknown = False
        for key, wanted in self.scope.items():
            have = target.values(key)
            if have is None:
                unknown = True
            elif not have & {w.upper() for w in wanted}:
                return False
        return None if unknown else True


class WorkflowRollout(BaseModel):
    """A workflow's default mode and its rules, evaluated in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: ModeValue = Mode.AUTO
    rules: list[Rule] = Field(default_factory=list)

    def decide(self, target: Target) -> Mode:
        """The first surely matching rule's mode, held to the strictest that could match first."""
        strictest: Mode | None = None
        for rule in self.rules:
            matched = rule.match(target)
            if matched is False:
                continue
            if strictest is None or rule.mode.strictness < strictest.strictness:
                strictest = rule.mode
            if matched:
                return strictest
        if strictest is None or self.default.strictness < strictest.strictness:
            return self.default
        return strictest


class RolloutConfig(BaseModel):
    """The whole file; a workflow it does not list runs ``auto`` everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    workflows: dict[Workflow, WorkflowRollout] = Field(default_factory=dict)

    def decide(self, workflow: Workflow, target: Target) -> Mode:
        """The mode of ``workflow`` for a call bound to ``target``."""
        rollout = self.workflows.get(workflow)
        return rollout.decide(target) if rollout is not None else Mode.AUTO

    def of(self, workflow: Workflow) -> WorkflowRollout:
        """The workflow's entry (the ``auto`` default when the file does not list it)."""
        return self.workflows.get(workflow) or WorkflowRollout()

    def with_mode(
        self, workflow: Workflow, mode: Mode, scope: dict[ScopeKey, list[str]] | None
    ) -> RolloutConfig:
        """A copy with ``mode`` as the workflow's default, or (``scope``) as its first rule.

        A scoped set replaces any rule with the same scope, so setting a department twice
        leaves one rule for it.
        """
        current = self.of(workflow)
        if scope:
            rule = Rule(mode=mode, scope=scope)
            rules = [rule, *(r for r in current.rules if r.scope != rule.scope)]
            entry = current.model_copy(update={"rules": rules})
        else:
            entry = current.model_copy(update={"default": mode})
        return self.model_copy(update={"workflows": {**self.workflows, workflow: entry}})

    def dump(self) -> str:
        """The YAML text of this configuration (what ``bca rollout set`` writes)."""
        body = self.model_dump(mode="json")
        return (
            "# Rollout modes per workflow: off | shadow | approve | auto (see policies/rollout.py)."
            "\n# Rules are evaluated in order; the first whose scope matches decides.\n"
            + yaml.safe_dump(body, sort_keys=False)
        )


_KINDS = {"workflows": "workflow", "scope": "scope key", "mode": "mode", "default": "mode"}


def parse_rollout(text: str, source: str) -> RolloutConfig:
    """Check ``text``; raises :class:`ConfigurationError` naming ``source:line`` per problem."""
    try:
        document = load_located(text)
    except yaml.MarkedYAMLError as exc:
        raise ConfigurationError(f"{source}:{yaml_error_line(exc)}: {exc.problem}") from None
    try:
        return RolloutConfig.model_validate(document or {})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"] if p != "[key]")
            reason = error["msg"].removeprefix("Value error, ")
            if error["type"] == "enum":
                loc = error["loc"]
                named = loc[-3] if loc[-1] == "[key]" and len(loc) > 2 else loc[-1]
                what = _KINDS.get(str(named), "value")
                reason = f"unknown {what} {error['input']!r}; {reason}"
            elif error["type"] == "extra_forbidden":
                reason = f"unknown key {error['loc'][-1]!r}"
            problems.append(f"{source}:{line_of(document, error['loc'])}: {where}: {reason}")
        raise ConfigurationError("invalid rollout file: " + "; ".join(problems)) from None


def load_rollout(path: Path) -> RolloutConfig:
    """Read and check ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the rollout file: {exc.strerror}") from None
    return parse_rollout(text, str(path))


def write_rollout(path: Path, config: RolloutConfig) -> None:
    """Write ``config`` atomically (a temporary file renamed over ``path``), checked first."""
    text = config.dump()
    parse_rollout(text, str(path))  # what is written must load back
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class RolloutControl:
    """The running configuration of one file, re-read when it changes.

    :meth:`current` costs one ``stat``; a changed file is re-read, and one that fails to load
    leaves the previous configuration running (the error is logged once and kept in
    :attr:`error`). A file that is missing at startup, or broken, stops the start.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._config = load_rollout(path)
        self.error: str | None = None

    def _stat(self) -> tuple[int, int] | None:
        try:
            status = self.path.stat()
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size

    def current(self) -> RolloutConfig:
        """The configuration in force (re-read first when the file changed)."""
        stamp = self._stat()
        if stamp == self._stamp:
            return self._config
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._config = load_rollout(self.path)
                    self.error = None
                except ConfigurationError as exc:
                    self.error = str(exc)
                    log.error("rollout reload refused, previous configuration kept: %s", exc)
        return self._config

    def decide(self, workflow: Workflow, target: Target) -> Mode:
        """The mode in force for ``workflow`` at ``target``."""
        return self.current().decide(workflow, target)


def parse_scope(pairs: list[str]) -> dict[ScopeKey, list[str]]:
    """``KEY=VALUE[,VALUE]`` pairs as a rule scope; unknown keys are a clear error."""
    scope: dict[ScopeKey, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            scope_key = ScopeKey(key.strip())
        except ValueError:
            known = ", ".join(k.value for k in ScopeKey)
            raise ConfigurationError(f"unknown scope key {key!r} (one of {known})") from None
        values = [v.strip() for v in value.split(",") if v.strip()]
        if not sep or not values:
            raise ConfigurationError(f"scope {pair!r} needs KEY=VALUE")
        scope.setdefault(scope_key, []).extend(values)
    return scope


def describe(config: RolloutConfig) -> list[dict[str, Any]]:
    """One row per workflow: its default and its rules (``bca rollout show``, the dashboard)."""
    return [
        {
            "workflow": workflow.value,
            "default": config.of(workflow).default.value,
            "rules": [
                {"mode": r.mode.value, "scope": {k.value: v for k, v in r.scope.items()}}
                for r in config.of(workflow).rules
            ],
        }
        for workflow in Workflow
    ]
