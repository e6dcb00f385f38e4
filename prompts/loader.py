"""Prompts as versioned files, loaded by id.

A prompt lives in ``prompts/templates/<name>.v<N>.md``: YAML front matter (id, version, purpose,
inputs, and the bounds of a model's answer: ``max_tokens``, optional ``stop`` sequences,
``max_words`` and the inputs whose placeholders the answer must ``keep``) and three sections,
``## system``, ``## user`` and ``## fallback``. The fallback is what template mode renders when
no chat model is configured, so every prompt has a deterministic twin. Evals and audit records
cite prompts as ``name@N``; an edit to a prompt is a new version file, so a regression suite can
compare versions side by side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, UndefinedError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigurationError, NotFoundError, ValidationFailed

TEMPLATES_DIR = Path(__file__).parent / "templates"
_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>\d+)\.md$")
_SECTION = re.compile(r"^## (system|user|fallback)\s*$", re.MULTILINE)
_FRONT_MATTER = frozenset(
    {"id", "version", "purpose", "inputs", "max_tokens", "stop", "max_words", "keep", "cite"}
)
_JINJA = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class Prompt(BaseModel):
    """One version of one prompt."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int = Field(ge=1)
    purpose: str
    inputs: tuple[str, ...]
    max_tokens: int = Field(ge=1, le=4096, description="Completion tokens a model may spend.")
    stop: tuple[str, ...] = Field((), description="Sequences that end the answer early.")
    max_words: int | None = Field(None, ge=1, description="Longest acceptable answer, in words.")
    keep: tuple[str, ...] = Field(
        (), description="Inputs whose placeholders (e.g. <PERSON_1>) must survive in the answer."
    )
    cite: str | None = Field(
        None,
        description="An input of numbered evidence lines ([1] ...): every sentence of the"
        " answer must cite one, and every number it states must be in a line it cites.",
    )
    system: str
    user: str
    fallback: str

    @property
    def ref(self) -> str:
        """The id evals and audit records cite."""
        return f"{self.name}@{self.version}"

    def render(self, part: str, variables: Mapping[str, object]) -> str:
        """Render ``system``, ``user`` or ``fallback``; a missing input is a clear error."""
        missing = [name for name in self.inputs if name not in variables]
        if missing:
            raise ValidationFailed(f"prompt {self.ref} needs inputs {missing}")
        try:
            return _JINJA.from_string(getattr(self, part)).render(**variables).strip()
        except UndefinedError as exc:
            raise ValidationFailed(f"prompt {self.ref}: {exc}") from None


def read_versioned(path: Path, kind: str) -> tuple[re.Match[str], dict[str, Any], str]:
    """A ``<name>.v<N>.md`` file's name parts, YAML front matter and body (prompts, documents)."""
    match = _FILE.match(path.name)
    if match is None:
        raise ConfigurationError(f"{path}: {kind} files are named <name>.v<N>.md")
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ConfigurationError(f"{path}: missing YAML front matter")
    _, front, body = text.split("---\n", 2)
    return match, yaml.safe_load(front) or {}, body


def _parse(path: Path) -> Prompt:
    match, meta, body = read_versioned(path, "prompt")
    parts = _SECTION.split(body)
    sections = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    absent = {"system", "user", "fallback"} - sections.keys()
    if absent:
        raise ConfigurationError(f"{path}: missing sections {sorted(absent)}")
    if meta.get("id") != match["name"] or meta.get("version") != int(match["version"]):
        raise ConfigurationError(f"{path}: front matter id/version disagree with the file name")
    unknown = set(meta) - _FRONT_MATTER
    if unknown:
        raise ConfigurationError(f"{path}: unknown front matter {sorted(unknown)}")
    if "max_tokens" not in meta:
        raise ConfigurationError(f"{path}: front matter must declare max_tokens")
    inputs = tuple(meta.get("inputs", ()))
    keep = tuple(meta.get("keep", ()))
    if not set(keep) <= set(inputs):
        raise ConfigurationError(f"{path}: keep names inputs it does not declare")
    cite = meta.get("cite")
    if cite is not None and cite not in inputs:
        raise ConfigurationError(f"{path}: cite names an input it does not declare")
    try:
        return Prompt(
            name=match["name"],
            version=int(match["version"]),
            purpose=str(meta.get("purpose", "")),
            inputs=inputs,
            max_tokens=meta["max_tokens"],
            stop=tuple(meta.get("stop", ())),
            max_words=meta.get("max_words"),
            keep=keep,
            cite=cite,
            system=sections["system"],
            user=sections["user"],
            fallback=sections["fallback"],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigurationError(f"{path}: {first['loc'][0]}: {first['msg']}") from None


@cache
def all_prompts() -> tuple[Prompt, ...]:
    """Every prompt version shipped with the project, parsed once."""
    return tuple(sorted((_parse(p) for p in TEMPLATES_DIR.glob("*.md")), key=lambda p: p.ref))


def load_prompt(ref: str) -> Prompt:
    """A prompt by ``name`` (latest version) or ``name@N`` (that version)."""
    name, _, version = ref.partition("@")
    candidates = [p for p in all_prompts() if p.name == name]
    if version:
        candidates = [p for p in candidates if p.version == int(version)]
    if not candidates:
        raise NotFoundError("prompt", ref=ref)
    return max(candidates, key=lambda p: p.version)
