"""Matching texts and tool-call trajectories against a case's expectations.

The trajectory modes follow agentevals: ``strict`` (same calls, same order), ``unordered``
(same calls, any order), ``subset`` (nothing beyond the expected calls), ``superset`` (at least
the expected calls). A call matches an expected one when the tool is the same and every
argument matcher holds (and, when the case names one, the guard decided as expected);
arguments the case does not name are not compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from evals.suite import ArgMatcher, ExpectedCall, TextMatcher, Trajectory


class CallRecord(BaseModel):
    """A tool call the solver made (or composed) and what the guard's policy said of it."""

    model_config = ConfigDict(frozen=True)

    tool: str
    args: dict[str, Any]
    decision: str
    """``allowed`` (ran), ``interrupted`` (waits for a person), ``denied`` or ``skipped``."""
    needs_approval: bool = False


def text_matches(matcher: TextMatcher, text: str) -> bool:
    """Whether ``text`` holds the matcher's fact."""
    flags = re.IGNORECASE if matcher.ignore_case else 0
    if matcher.contains is not None:
        if matcher.ignore_case:
            return matcher.contains.lower() in text.lower()
        return matcher.contains in text
    assert matcher.regex is not None
    return re.search(matcher.regex, text, flags) is not None


def arg_matches(matcher: ArgMatcher, value: Any) -> bool:
    """Whether one argument value satisfies its matcher."""
    if matcher.any:
        return True
    if matcher.equals is not None:
        return bool(value == matcher.equals)
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    if matcher.contains is not None:
        return matcher.contains in text
    assert matcher.regex is not None
    return re.search(matcher.regex, text) is not None


def call_matches(expected: ExpectedCall, call: CallRecord) -> bool:
    """Same tool, the guard's decision if one is named, and every named argument matches."""
    if expected.tool != call.tool:
        return False
    if expected.decision is not None and expected.decision != call.decision:
        return False
    return all(
        name in call.args and arg_matches(m, call.args[name]) for name, m in expected.args.items()
    )


def _pairing(expected: Sequence[ExpectedCall], made: Sequence[CallRecord]) -> int:
    """How many expected calls can be paired with distinct calls made (greedy bipartite)."""

    def assign(i: int, seen: set[int]) -> bool:
        for j, call in enumerate(made):
            if j in seen or not call_matches(expected[i], call):
                continue
            seen.add(j)
            owner = next((k for k, v in pairs.items() if v == j), None)
            if owner is None or assign(owner, seen):
                pairs[i] = j
                return True
        return False

    pairs: dict[int, int] = {}
    for i in range(len(expected)):
        assign(i, set())
    return len(pairs)


def trajectory_matches(expected: Trajectory, made: Sequence[CallRecord]) -> tuple[bool, str]:
    """Whether the calls made fit the expected trajectory, and why not."""
    want = expected.calls
    names = [c.tool for c in made]
    if expected.mode == "strict":
        ok = len(want) == len(made) and all(
            call_matches(w, m) for w, m in zip(want, made, strict=True)
        )
        return ok, "" if ok else f"expected {[w.tool for w in want]} in order, made {names}"
    paired = _pairing(want, made)
    if expected.mode == "unordered":
        ok = paired == len(want) == len(made)
    elif expected.mode == "superset":
        ok = paired == len(want)
    else:  # subset: every call made is one of the expected calls
        ok = paired == len(made)
    return ok, "" if ok else (
        f"{expected.mode}: {paired} of {len(want)} expected calls matched among made {names}"
    )
