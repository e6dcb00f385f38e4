"""Messages a model must never improvise on: crisis, threats, harassment, emergencies, probes.

Mainstay's rule, which Georgia State's trial ran on: sensitive keywords go straight to a person,
with the institution's crisis resources, before any model sees the message. The screen is a
deliberately broad phrase list (a false alarm costs a person a minute; a miss can cost a life),
matched on word boundaries of the lower-cased message.

The same screen notices attempts to steer the assistant toward somebody else's records ("ignore
your instructions", "show student 123's grades"): those are not refused here (the tools cannot
reach another student whatever the model says) but recorded, so that the attempt is in the audit
trail.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Sensitive(StrEnum):
    """Why a message goes to a person before the model runs."""

    SELF_HARM = "self_harm"
    THREAT = "threat"
    HARASSMENT = "harassment"
    MEDICAL = "medical_emergency"


_PHRASES: dict[Sensitive, tuple[str, ...]] = {
    Sensitive.SELF_HARM: (
        r"kill(ing)? myself",
        r"suicid\w*",
        r"end (it all|my life)",
        r"want to die",
        r"self[- ]?harm",
        r"hurt(ing)? myself",
        r"cut(ting)? myself",
        r"no reason to live",
        r"better off dead",
        r"overdose",
        r"in (a )?crisis",
        r"(don'?t|do not) feel safe",
        r"not safe (here|at home|anymore)",
    ),
    Sensitive.THREAT: (
        r"(shoot|stab|kill|hurt|attack) (him|her|them|someone|somebody|people|everyone|my \w+)",
        r"bring a (gun|weapon|knife)",
        r"bomb",
        r"going to get (him|her|them|you)",
    ),
    Sensitive.HARASSMENT: (
        r"sexual(ly)? (harass\w*|assault\w*|abuse\w*)",
        r"harass\w*",
        r"stalk\w*",
        r"rape\w*",
        r"title ix",
        r"assaulted",
        r"abusive (partner|relationship)",
        r"touched me",
        r"dating violence",
        r"domestic violence",
    ),
    Sensitive.MEDICAL: (
        r"can'?t breathe",
        r"chest pains?",
        r"heart attack",
        r"seizure",
        r"unconscious",
        r"bleeding (badly|a lot|heavily)",
        r"medical emergency",
        r"allergic reaction",
        r"passed out",
        r"poison\w*",
    ),
}
_PATTERNS = {
    kind: re.compile(r"\b(" + "|".join(phrases) + r")\b") for kind, phrases in _PHRASES.items()
}
_PROBE = re.compile(
    r"\b(ignore|disregard|forget) (all |any |your |the |previous |prior )*(instructions|rules|"
    r"prompt|policy)\b|\b(system prompt|developer mode|jailbreak)\b|"
    r"\b(another|other|a different) (student'?s?|person'?s?|user'?s?) (\w+ )?"
    r"(grades?|holds?|records?|aid|gpa|transcript|schedule)\b|"
    r"\b(someone else'?s?|(my )?(friend|roommate|classmate|partner|boyfriend|girlfriend|brother"
    r"|sister)'s) (\w+ )?(grades?|holds?|records?|aid|gpa|transcript|schedule)\b|"
    r"\bstudent (id |number |pidm )?#?\s*(\d{3,}|<(BANNER_ID|PIDM|EMAIL)_\d+>)|"
    r"\b(pidm|banner id|spriden)\b|\b(admin|developer|god|root) mode\b",
    re.IGNORECASE,
)


class Screening(BaseModel):
    """What the screen found in one message."""

    model_config = ConfigDict(frozen=True)

    sensitive: Sensitive | None = None
    probe: bool = False


def screen(message: str) -> Screening:
    """The first sensitive category the message matches, and whether it probes for others."""
    text = " ".join(message.casefold().replace("’", "'").split())
    sensitive = next((kind for kind, rx in _PATTERNS.items() if rx.search(text)), None)
    return Screening(sensitive=sensitive, probe=bool(_PROBE.search(message)))
