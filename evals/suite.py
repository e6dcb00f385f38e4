"""Suite files: the cases of one prompt or agent, as strict typed data.

A suite lives in ``evals/suites/<name>.yaml``: the prompt it evaluates (``name@N``), the solver
that drives it (``drafting``: one prompt through the drafter; ``support``: the support chatbot's
whole graph), the scripted model's rules (the deterministic "model" of ``--model scripted``,
also what replay cassettes are generated from), and its cases. Every model is
``extra="forbid"``, so a misspelt field is an error, and :func:`load_suite` reports the first
problem as one line naming the file, the case and the field, before any model is called.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.support.graph import PROMPT as SUPPORT_PROMPT
from agents.support.models import HandoffReason
from core.errors import ConfigurationError
from evals.chat_sandbox import is_cast, sandbox_people
from evals.inputs import INPUTS, ChatInput
from evals.people import People, first_error, load_people, read_yaml
from prompts import load_prompt
from sandbox.model.script import Rule

SUITES_DIR = Path(__file__).parent / "suites"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return pattern


class TextMatcher(_Strict):
    """One fact about a text: it contains a string, or matches a regular expression."""

    contains: str | None = None
    regex: str | None = None
    ignore_case: bool = True

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        return None if pattern is None else _regex(pattern)

    @model_validator(mode="after")
    def _exactly_one(self) -> TextMatcher:
        if (self.contains is None) == (self.regex is None):
            raise ValueError("a text matcher names exactly one of contains / regex")
        return self

    def describe(self) -> str:
        """How the matcher reads in a report."""
        return f"contains {self.contains!r}" if self.contains is not None else f"/{self.regex}/"


class ArgMatcher(_Strict):
    """What one argument of an expected tool call must be."""

    equals: Any = None
    contains: str | None = None
    regex: str | None = None
    any: bool = False

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        return None if pattern is None else _regex(pattern)

    @model_validator(mode="after")
    def _exactly_one(self) -> ArgMatcher:
        given = [self.equals is not None, self.contains is not None, self.regex is not None]
        if sum(given) + self.any != 1:
            raise ValueError("an argument matcher names exactly one of equals/contains/regex/any")
        return self


Decision = Literal["allowed", "denied", "interrupted", "skipped", "composed"]


class ExpectedCall(_Strict):
    """A tool call a trajectory must hold: its tool, matchers over some arguments, the verdict."""

    tool: str
    args: dict[str, ArgMatcher] = Field(default_factory=dict)
    decision: Decision | None = Field(None, description="What the guard must have decided.")


class Trajectory(_Strict):
    """Expected tool calls and how they are compared with the calls made (agentevals' modes).

    ``strict``: the same calls in the same order; ``unordered``: the same calls in any order;
    ``subset``: every call made is expected; ``superset``: every expected call was made.
    """

    mode: Literal["strict", "unordered", "subset", "superset"] = "superset"
    calls: list[ExpectedCall]


class Policy(_Strict):
    """What the guard's policy must have said about the calls made."""

    no_denied_calls: bool = True
    interrupts: bool = Field(
        True, description="Every call needing approval waited for a person (none skipped)."
    )


class Limits(_Strict):
    """Budgets of one case (per epoch)."""

    max_tokens_in: int | None = Field(None, ge=1)
    max_tokens_out: int | None = Field(None, ge=1)
    max_latency_ms: float | None = Field(None, gt=0)
    max_cost_usd: float | None = Field(None, ge=0)
    max_model_calls: int | None = Field(
        None, ge=0, description="0: the answer must come without any model call (a crisis)."
    )


class Handoff(_Strict):
    """Whether the turn went to a person, and why; whether the answer admits not knowing."""

    reason: list[HandoffReason | Literal["none"]] = Field(
        min_length=1, description="Accepted reasons; none: the chatbot answered itself."
    )
    says_unknown: bool = Field(False, description="The answer says it does not know.")

    @field_validator("reason", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Citations(_Strict):
    """How an answer cites the help pages (every citation must name a chunk it retrieved)."""

    min: int = Field(0, ge=0, description="At least this many citations.")
    max: int | None = Field(None, ge=0)
    sources: list[str] = Field(
        default_factory=list,
        description="At least one citation starts with one of these (a page or a chunk id).",
    )


class Expect(_Strict):
    """A case's expectations; each group becomes one scorer (absent groups are not scored)."""

    drafted_by: Literal["model", "template", "rules", "any"] = Field(
        "model",
        description="Whether the model's words must reach the person, the template's, or"
        " (an agent) the fixed words of a rule such as the crisis screen or a hand-off.",
    )
    fallback_reason: str | None = Field(None, description="Substring of the fallback's reason.")
    facts: list[TextMatcher] = Field(default_factory=list)
    forbidden: list[TextMatcher] = Field(default_factory=list)
    pii: bool = Field(True, description="No raw identifier sent; no other student's in the output.")
    trajectory: Trajectory | None = None
    policy: Policy = Field(default_factory=Policy)
    limits: Limits = Field(default_factory=Limits)
    handoff: Handoff | None = None
    citations: Citations | None = None


class Case(_Strict):
    """One case: an input built from fixtures, the prompt version, the expectations."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    prompt: str | None = Field(None, description="name@N under test; default: the suite's.")
    input: dict[str, Any]
    expect: Expect = Field(default_factory=Expect)


class Suite(_Strict):
    """A suite file."""

    name: str
    description: str = ""
    prompt: str = Field(description="The prompt under test, name@N.")
    solver: Literal["drafting", "support"] = "drafting"
    fixtures: str = Field("people.yaml", description="The people file under evals/fixtures/.")
    script: list[Rule] = Field(default_factory=list)
    cases: list[Case] = Field(min_length=1)

    @property
    def prompt_name(self) -> str:
        """The prompt's name without its version."""
        return self.prompt.partition("@")[0]


def _case_error(path: Path, data: Any, exc: ValidationError) -> ConfigurationError:
    first = exc.errors()[0]
    loc = list(first["loc"])
    if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
        cases = data.get("cases") or []
        case = cases[loc[1]] if loc[1] < len(cases) and isinstance(cases[loc[1]], dict) else {}
        name = case.get("id", f"#{loc[1] + 1}")
        field = ".".join(str(p) for p in loc[2:]) or "(case)"
        return ConfigurationError(f"{path}: case {name}: {field}: {first['msg']}")
    return ConfigurationError(f"{path}: {first_error(exc)}")


def _check_people(path: Path, suite: Suite, case: Case, people: People) -> None:
    known = people.by_key()
    for field in ("student", "mentions"):
        refs = case.input.get(field, [])
        for ref in [refs] if isinstance(refs, str) else refs:
            if ref not in known:
                raise ConfigurationError(
                    f"{path}: case {case.id}: input.{field}: no person {ref!r} in fixture"
                    f" {suite.fixtures}"
                )


def _check_support(path: Path, suite: Suite) -> None:
    """The chatbot's prompt is its own; replay keys on tool-call ids, so rules must fix them."""
    if suite.prompt != SUPPORT_PROMPT:
        raise ConfigurationError(
            f"{path}: prompt: the support agent answers with {SUPPORT_PROMPT}"
            " (agents/support/graph.py), not a suite's choice"
        )
    for number, rule in enumerate(suite.script):
        if any(call.id is None for call in rule.tool_calls):
            raise ConfigurationError(
                f"{path}: script.{number} ({rule.name}): every tool call needs an id"
                " (a generated one would differ on every recording)"
            )


def _check_references(path: Path, suite: Suite, people: People) -> None:
    """Fixtures and prompts a case names exist; case ids are unique."""
    if suite.solver == "support":
        _check_support(path, suite)
        model: type[BaseModel] = ChatInput
    else:
        kind = INPUTS.get(suite.prompt_name)
        if kind is None:
            raise ConfigurationError(f"{path}: prompt: no input model for {suite.prompt_name}")
        model = kind.model
    seen: set[str] = set()
    for case in suite.cases:
        if case.id in seen:
            raise ConfigurationError(f"{path}: case {case.id}: id: duplicate case id")
        seen.add(case.id)
        try:
            model.model_validate(case.input)
        except ValidationError as exc:
            raise ConfigurationError(f"{path}: case {case.id}: input.{first_error(exc)}") from None
        _check_people(path, suite, case, people)
        ref = case.prompt or suite.prompt
        if suite.solver == "support" and ref != SUPPORT_PROMPT:
            raise ConfigurationError(f"{path}: case {case.id}: prompt: fixed at {SUPPORT_PROMPT}")
        try:
            load_prompt(ref)
        except Exception:
            raise ConfigurationError(f"{path}: case {case.id}: prompt: no prompt {ref}") from None


def _people(path: Path, suite: Suite) -> People:
    """A drafting suite's fixture people; a support suite's students picked from the sandbox."""
    agent = suite.solver == "support"
    if agent != is_cast(suite.fixtures):
        want = "sandbox students (a file with `sandbox:`)" if agent else "fixture people"
        raise ConfigurationError(f"{path}: fixtures: a {suite.solver} suite takes {want}")
    return sandbox_people(suite.fixtures) if agent else load_people(suite.fixtures)


def load_suite(path: Path) -> tuple[Suite, People]:
    """A suite file and its people, checked whole; the first problem is a ConfigurationError."""
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: a suite file is a mapping with 'cases'")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise _case_error(path, data, exc) from None
    people = _people(path, suite)
    _check_references(path, suite, people)
    return suite, people


def suite_paths(names: list[str]) -> list[Path]:
    """The suite files named (a name or a path), or every suite when none is named."""
    if not names:
        return sorted(SUITES_DIR.glob("*.yaml"))
    paths = []
    for name in names:
        path = Path(name)
        paths.append(path if path.suffix in (".yaml", ".yml") else SUITES_DIR / f"{name}.yaml")
    return paths
