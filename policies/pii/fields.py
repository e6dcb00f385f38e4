"""Which fields of a structured tool result hold personal data, and which never do.

Banner and Canvas results name their fields predictably (``spriden_first_name``,
``sgradvr_advr_pidm``, ``sis_user_id``). A field whose name ends in one of the ``pii`` suffixes
is replaced whole by a pseudonym without any NLP; one ending in a ``keep`` suffix (codes,
descriptions, titles, indicators) is passed through; any other string is analysed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from policies.pii.models import PiiType

_DEFAULT_PII: dict[str, PiiType] = {
    **dict.fromkeys(
        (
            "first_name", "last_name", "middle_name", "mi", "full_name", "preferred_name",
            "sortable_name", "short_name", "display_name", "legal_name", "maiden_name",
            "nickname", "student_name", "advisor_name", "instructor_name", "person_name",
        ),
        PiiType.PERSON,
    ),
    **dict.fromkeys(("email", "email_address", "primary_email"), PiiType.EMAIL),
    **dict.fromkeys(
        ("phone", "phone_number", "phone_area", "phone_ext", "cell", "mobile"), PiiType.PHONE
    ),
    "ssn": PiiType.SSN,
    **dict.fromkeys(("birth_date", "date_of_birth", "dob", "birthdate"), PiiType.DATE_OF_BIRTH),
    **dict.fromkeys(
        ("street_line1", "street_line2", "street_line3", "address", "street_address",
         "address_line1", "address_line2", "home_address"),
        PiiType.ADDRESS,
    ),
    **dict.fromkeys(
        ("spriden_id", "banner_id", "sis_user_id", "student_id", "sis_id"), PiiType.BANNER_ID
    ),
    "pidm": PiiType.PIDM,
    **dict.fromkeys(("login_id", "sis_login_id", "username", "user_name"), PiiType.USERNAME),
}  # fmt: skip

_DEFAULT_KEEP = (
    "code", "desc", "description", "title", "ind", "crn", "term", "gpa", "hours", "hrs", "amt",
    "amount", "count", "seq_no", "date", "status", "grade", "type", "level", "numb", "url",
    "digest", "crns",
)  # fmt: skip
"""Suffixes of fields that never hold personal data (``digest``: a plan's hash, which is new in
every result and would otherwise go through spaCy each time; ``description``: a validation
table's, such as STVHLDD's "Accounts Receivable", which name detection would take for a
person)."""


class FieldRules(BaseModel):
    """Field-name suffix rules for structured redaction (matched on ``_``-separated names)."""

    model_config = ConfigDict(frozen=True)

    pii: dict[str, PiiType] = Field(default_factory=lambda: dict(_DEFAULT_PII))
    keep: frozenset[str] = Field(default_factory=lambda: frozenset(_DEFAULT_KEEP))

    def classify(self, name: str) -> PiiType | bool:
        """The PII type of a field, ``True`` to keep it as is, ``False`` to analyse it."""
        lowered = name.lower()
        parts = lowered.split("_")
        for i in range(len(parts)):
            suffix = "_".join(parts[i:])
            if suffix in self.pii:
                return self.pii[suffix]
        return parts[-1] in self.keep or lowered in self.keep
