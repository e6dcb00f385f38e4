"""A model's draft against its prompt's own rules, before any person sees it.

The prompt file declares the bounds (:class:`prompts.Prompt`: ``max_words``, ``keep``); here
they are checked, with two rules every draft obeys: it invents no placeholder the prompt did
not contain (a ``<PERSON_9>`` would be re-identified as nobody, or as somebody else), and it
holds no personal identifier (an e-mail, phone, SSN or Banner ID, or a real value of the run's
vault). A draft that breaks one is replaced by the prompt's template, for that draft only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from policies.pii import PseudonymVault
from policies.pii.patterns import (
    BannerIdRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
    RegexRecognizer,
    SsnRecognizer,
)
from prompts import Prompt

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


class Violation(StrEnum):
    """The ways a draft breaks its prompt's rules (the fallback reasons they become)."""

    EMPTY = "empty"
    TRUNCATED = "truncated"
    PLACEHOLDER_DROPPED = "placeholder_dropped"
    PLACEHOLDER_INVENTED = "placeholder_invented"
    TOO_LONG = "too_long"
    IDENTIFIER = "identifier"
    UNCITED = "uncited"


@dataclass(frozen=True)
class Finding:
    """A broken rule and the words that explain it on the approval."""

    violation: Violation
    detail: str


class DraftChecker:
    """Checks drafts; the identifier recognizers are built once per drafter."""

    def __init__(self, banner_id_pattern: str) -> None:
        self._identifiers: tuple[RegexRecognizer, ...] = (
            EmailRecognizer(),
            PhoneRecognizer(),
            SsnRecognizer(),
            BannerIdRecognizer(banner_id_pattern),
        )

    def check(
        self,
        text: str,
        prompt: Prompt,
        variables: Mapping[str, object],
        vault: PseudonymVault | None = None,
        *,
        finish_reason: str | None = None,
    ) -> Finding | None:
        """The first rule ``text`` breaks, or None when it may go to a person.

        ``finish_reason`` is the model's: ``length`` means it was cut off at ``max_tokens``,
        mid-sentence, however short the text looks.
        """
        if finish_reason == "length":
            return Finding(
                Violation.TRUNCATED,
                f"the model's draft was cut off at {prompt.max_tokens} tokens",
            )
        if not text.strip():
            return Finding(Violation.EMPTY, "the model's draft was empty")
        given = set(
            PLACEHOLDER.findall(
                prompt.render("system", variables) + prompt.render("user", variables)
            )
        )
        used = set(PLACEHOLDER.findall(text))
        invented = sorted(used - given)
        if invented:
            # Named without its angle brackets: the label goes into the draft, and a pseudonym
            # the run never issued would make re-identification refuse the whole message.
            return Finding(
                Violation.PLACEHOLDER_INVENTED,
                f"the model's draft invented the placeholder {invented[0].strip('<>')}",
            )
        for name in prompt.keep:
            for token in PLACEHOLDER.findall(str(variables.get(name, ""))):
                if token not in used:
                    return Finding(
                        Violation.PLACEHOLDER_DROPPED, f"the model's draft dropped {token}"
                    )
        words = len(text.split())
        if prompt.max_words is not None and words > prompt.max_words:
            return Finding(
                Violation.TOO_LONG,
                f"the model's draft had {words} words (limit {prompt.max_words})",
            )
        # Identifiers before citations: an uncited sentence is quoted in the fallback's label.
        kinds = {r.entity.value for r in self._identifiers if next(r.find(text), None)}
        if vault is not None:
            kinds |= {kind.value for kind in vault.revealed_in(text)}
        if kinds:
            shown = ", ".join(sorted(kinds))
            return Finding(
                Violation.IDENTIFIER, f"the model's draft held a personal identifier ({shown})"
            )
        if prompt.cite is not None:
            uncited = uncited_claim(text, str(variables.get(prompt.cite, "")))
            if uncited is not None:
                return Finding(Violation.UNCITED, uncited)
        return None


CITATION = re.compile(r"\[(\d+)\]")
NUMBER = re.compile(r"\d+(?:\.\d+)?%?")
SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+(?:\s*\[\d+\])*|$)")


def uncited_claim(text: str, evidence: str) -> str | None:
    """Why ``text`` does not rest on ``evidence`` (numbered ``[n] ...`` lines), or None.

    Every sentence must cite at least one line that exists, and every number it states (a
    rate, a count, a course number) must appear in a line it cites: a model may word the
    findings, never add to them. A sentence stating no number at all rests on nothing it
    cites (``The department should act [1].``): a finding is its numbers. That sentence is not
    quoted in the reason, which goes into the fallback's label: it is only the model's words.
    """
    lines = {m[1]: m[2] for m in re.finditer(r"^\[(\d+)\] (.*)$", evidence, re.MULTILINE)}
    for sentence in (s.strip() for s in SENTENCE.findall(text)):
        if not sentence:
            continue
        cited = CITATION.findall(sentence)
        if not cited:
            return f"the model's draft has a sentence citing no finding: {sentence[:80]!r}"
        unknown = [n for n in cited if n not in lines]
        if unknown:
            return f"the model's draft cites [{unknown[0]}], which is not a finding"
        stated = NUMBER.findall(CITATION.sub("", sentence))
        if not stated:
            return f"the model's draft has a sentence stating no number of finding {cited[0]}"
        backing = " ".join(lines[n] for n in cited)
        missing = [n for n in stated if n not in NUMBER.findall(backing)]
        if missing:
            return f"the model's draft states {missing[0]}, which its citations do not hold"
    return None
