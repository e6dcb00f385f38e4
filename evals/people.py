"""The sandbox people a suite's cases name, with every identifier the PII scorers look for.

Fixtures are synthetic SPRIDEN-like records (``evals/fixtures/*.yaml``); a case names its
subject and the other people its input mentions by key, never by value, so the scorers know
exactly which raw values must not reach the model or leak into another student's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import ConfigurationError

FIXTURES_DIR = Path(__file__).parent / "fixtures"


class Person(BaseModel):
    """A sandbox person of the fixtures: every identifier the PII scorers look for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    pidm: int
    banner_id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    ssn: str | None = None

    @property
    def identifiers(self) -> list[str]:
        """The raw values that must never reach a model."""
        values = [f"{self.first_name} {self.last_name}", self.last_name, self.banner_id,
                  self.email, str(self.pidm)]  # fmt: skip
        return values + [v for v in (self.phone, self.ssn) if v]


class People(BaseModel):
    """A fixtures file of people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    people: list[Person]

    def by_key(self) -> dict[str, Person]:
        """People by their fixture key."""
        return {p.key: p for p in self.people}


def first_error(exc: ValidationError) -> str:
    """The first problem of a validation error as ``field.path: message``."""
    first = exc.errors()[0]
    return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"


def read_yaml(path: Path) -> Any:
    """A YAML file's data; a missing or unreadable file is a ConfigurationError naming it."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: no such file") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot read: {exc}") from None


def load_people(name: str) -> People:
    """The people fixture ``evals/fixtures/<name>``."""
    path = FIXTURES_DIR / name
    if not path.is_file():
        raise ConfigurationError(f"fixture {path} does not exist")
    try:
        return People.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: {first_error(exc)}") from None
