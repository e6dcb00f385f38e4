"""PII redaction: find personal data offline, replace it with reversible per-run pseudonyms.

Typical use by the guard::

    redactor = Redactor.from_settings(settings)      # once per process
    vault = PseudonymVault()                         # once per agent run
    safe = redactor.redact_record(tool_result, vault)
    ...
    message = vault.reidentify(approved_draft)       # last step, after approval
"""

from policies.pii.directory import DirectoryName, DirectoryRecognizer, NameDirectory
from policies.pii.fields import FieldRules
from policies.pii.models import Entity, PiiType, RedactionResult
from policies.pii.redactor import Redactor
from policies.pii.vault import PseudonymVault

__all__ = [
    "DirectoryName",
    "DirectoryRecognizer",
    "Entity",
    "FieldRules",
    "NameDirectory",
    "PiiType",
    "PseudonymVault",
    "RedactionResult",
    "Redactor",
]
