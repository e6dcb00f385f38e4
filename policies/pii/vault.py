"""Reversible pseudonyms for one run: ``<PERSON_1>`` in the prompt, the real name at the end.

A :class:`PseudonymVault` lives as long as one agent run. The same value always gets the same
token within the run, so the model can reason about "the same student" without seeing who it
is; an approved draft is turned back into real text by :meth:`PseudonymVault.reidentify` at the
last step, just before a person receives it.

The mapping is the one secret here. It never appears in ``repr``/``str`` (so not in logs), is
dumped by Pydantic as a count only, and refuses to be pickled (so a LangGraph checkpointer or
the audit trail cannot persist it by accident). The one deliberate way out is the explicit
pair :meth:`PseudonymVault.export_secret` / :meth:`PseudonymVault.import_secret`, used only by
``runtime.vaults`` to keep a paused thread's vault encrypted at rest so that another process can
resume it.
"""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any, NoReturn

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from core.errors import ValidationFailed
from policies.pii.models import PiiType

TOKEN_RE = re.compile(r"<(" + "|".join(t.value for t in PiiType) + r")_(\d+)>")


_NUMBERS = frozenset({PiiType.PHONE, PiiType.SSN, PiiType.PIDM})


def _key(kind: PiiType, value: str) -> str:
    """Normalise a value so trivially different spellings of it share one token."""
    if kind in _NUMBERS:
        digits = re.sub(r"\D", "", value)
        if kind is PiiType.PHONE and len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        return digits or value
    return " ".join(value.replace("’", "'").split()).casefold()


class PseudonymVault:
    """Per-run, thread-safe map from personal values to tokens and back."""

    __slots__ = ("_by_key", "_by_token", "_counters", "_lock", "run_id")

    def __init__(self, run_id: str | None = None) -> None:
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._lock = threading.Lock()
        self._by_key: dict[tuple[PiiType, str], str] = {}
        self._by_token: dict[str, str] = {}
        self._counters: dict[PiiType, int] = {}

    def pseudonym(self, kind: PiiType, value: str) -> str:
        """The token for ``value`` of ``kind`` in this run, minting ``<KIND_n>`` on first sight."""
        key = (kind, _key(kind, value))
        with self._lock:
            token = self._by_key.get(key)
            if token is None:
                number = self._counters.get(kind, 0) + 1
                self._counters[kind] = number
                token = f"<{kind.value}_{number}>"
                self._by_key[key] = token
                self._by_token[token] = value
            return token

    def __len__(self) -> int:
        return len(self._by_token)

    def __contains__(self, token: object) -> bool:
        return token in self._by_token

    def reidentify(self, text: str) -> str:
        """Put the original values back into an approved draft.

        Raises :class:`ValidationFailed` when the draft holds a token this run never issued
        (a model inventing ``<PERSON_9>``): such a draft must not reach a person.
        """
        unknown = sorted({m.group(0) for m in TOKEN_RE.finditer(text)} - self._by_token.keys())
        if unknown:
            raise ValidationFailed(
                f"draft contains pseudonyms this run never issued: {', '.join(unknown)}"
            )
        return TOKEN_RE.sub(lambda m: self._by_token[m.group(0)], text)

    def revealed_in(self, text: str) -> list[PiiType]:
        """The kinds of this run's real values that ``text`` spells out (a leak, if any).

        Names, IDs and e-mails the run pseudonymized must never come back in a model's answer:
        the model never saw them, so one that does is a guess or an injection. Numbers (phones,
        SSNs, PIDMs) are left to the pattern recognizers: a bare number in a draft is usually a
        CRN or a count.
        """
        folded = " ".join(text.replace("’", "'").split()).casefold()
        with self._lock:
            keys = list(self._by_key)
        found = {
            kind
            for kind, key in keys
            if kind not in _NUMBERS
            and len(key) >= 3
            and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded)
        }
        return sorted(found, key=lambda kind: kind.value)

    def summary(self) -> dict[str, Any]:
        """What may be shown about the vault: its run and how many tokens of each kind."""
        with self._lock:
            counts = {kind.value: n for kind, n in sorted(self._counters.items())}
        return {"run_id": self.run_id, "tokens": counts}

    def export_secret(self) -> dict[str, Any]:
        """The whole mapping as plain JSON, for an encrypted store only: never log or audit it."""
        with self._lock:
            return {
                "run_id": self.run_id,
                "entries": [
                    [kind.value, key, token, self._by_token[token]]
                    for (kind, key), token in self._by_key.items()
                ],
                "counters": {kind.value: n for kind, n in self._counters.items()},
            }

    @classmethod
    def import_secret(cls, data: dict[str, Any]) -> PseudonymVault:
        """A vault holding what :meth:`export_secret` returned (same tokens, same counters)."""
        vault = cls(str(data["run_id"]))
        for kind, key, token, value in data["entries"]:
            vault._by_key[(PiiType(kind), str(key))] = str(token)
            vault._by_token[str(token)] = str(value)
        vault._counters = {PiiType(k): int(n) for k, n in data["counters"].items()}
        return vault

    def __repr__(self) -> str:
        return f"PseudonymVault(run_id={self.run_id!r}, tokens={len(self)}, mapping=<hidden>)"

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a PseudonymVault holds personal data and is never serialised")

    def __copy__(self) -> PseudonymVault:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> PseudonymVault:
        return self

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Let models hold a vault while dumping only its :meth:`summary`."""
        return core_schema.is_instance_schema(
            cls,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda vault: vault.summary()
            ),
        )
