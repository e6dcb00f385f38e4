"""Versioned document templates (contracts people sign), loaded by id like the prompts.

A document lives in ``prompts/documents/<name>.v<N>.md``: YAML front matter (``id``,
``version``, ``title``, ``purpose`` and the ``variables`` it uses) and a body of plain text in
which ``## `` lines are headings. Unlike a prompt, a document goes to people and into Banner's
paper trail, so its variables are checked twice: on load, every placeholder of the body must be
declared (a typo in a template is a configuration error, not a blank in a signed contract), and
on render, every declared variable must be given, and nothing else, before a byte is produced.
Records cite a document as ``name@N``; an edit is a new version file.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from jinja2 import Environment, StrictUndefined, meta
from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigurationError, NotFoundError, ValidationFailed
from prompts.loader import read_versioned

DOCUMENTS_DIR = Path(__file__).parent / "documents"
_FRONT_MATTER = frozenset({"id", "version", "title", "purpose", "variables"})
_JINJA = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class DocumentTemplate(BaseModel):
    """One version of one document."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    purpose: str
    variables: tuple[str, ...]
    body: str

    @property
    def ref(self) -> str:
        """The id records cite."""
        return f"{self.name}@{self.version}"

    def render(self, values: Mapping[str, object]) -> str:
        """The body with ``values``; a missing, unknown or empty variable is a clear error."""
        missing = sorted(set(self.variables) - values.keys())
        unknown = sorted(values.keys() - set(self.variables))
        empty = sorted(k for k in self.variables if k in values and not str(values[k]).strip())
        if missing or unknown or empty:
            problems = [
                f"{label} {names}"
                for label, names in (("missing", missing), ("unknown", unknown), ("empty", empty))
                if names
            ]
            raise ValidationFailed(f"document {self.ref}: variables " + "; ".join(problems))
        return _JINJA.from_string(self.body).render(**values).strip()


def parse_document(path: Path) -> DocumentTemplate:
    """One template file, checked: its placeholders must be exactly its declared variables."""
    match, meta_data, body = read_versioned(path, "document")
    if meta_data.get("id") != match["name"] or meta_data.get("version") != int(match["version"]):
        raise ConfigurationError(f"{path}: front matter id/version disagree with the file name")
    unknown = set(meta_data) - _FRONT_MATTER
    if unknown:
        raise ConfigurationError(f"{path}: unknown front matter {sorted(unknown)}")
    declared = tuple(meta_data.get("variables") or ())
    used = meta.find_undeclared_variables(_JINJA.parse(body))
    undeclared = sorted(used - set(declared))
    if undeclared:
        raise ConfigurationError(f"{path}: placeholders {undeclared} are not declared variables")
    unused = sorted(set(declared) - used)
    if unused:
        raise ConfigurationError(f"{path}: declared variables {unused} are never used")
    return DocumentTemplate(
        name=match["name"],
        version=int(match["version"]),
        title=str(meta_data.get("title") or ""),
        purpose=str(meta_data.get("purpose", "")),
        variables=declared,
        body=body,
    )


@cache
def all_documents() -> tuple[DocumentTemplate, ...]:
    """Every document version shipped with the project, parsed once."""
    found = (parse_document(p) for p in DOCUMENTS_DIR.glob("*.md"))
    return tuple(sorted(found, key=lambda d: d.ref))


def load_document(ref: str) -> DocumentTemplate:
    """A document by ``name`` (latest version) or ``name@N`` (that version)."""
    name, _, version = ref.partition("@")
    candidates = [d for d in all_documents() if d.name == name]
    if version:
        candidates = [d for d in candidates if d.version == int(version)]
    if not candidates:
        raise NotFoundError("document", ref=ref)
    return max(candidates, key=lambda d: d.version)
