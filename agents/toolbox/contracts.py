"""Incomplete-grade contracts as the agents see them: an id, a hash, a status, never the text.

The contract names a student, so its bytes live only in a store that seals them at rest
(:class:`runtime.contracts.SealedContractStore`, wired by the runtime). The graph hands the
store what it rendered and keeps the id and SHA-256 in its state; the tool that mails the
contract to the student reads the text back from the store. Nothing of it enters a prompt, the
checkpoint or the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ContractStatus(StrEnum):
    """Where a contract is on its way from the instructor to the student and back."""

    ROUTING = "routing"  # waiting for the chair and the registrar
    REJECTED = "rejected"  # someone on the way said no
    ACTIVE = "active"  # Banner holds the I; the student is working
    RESOLVED = "resolved"  # a completed grade replaced the I


@dataclass(frozen=True)
class Contract:
    """One rendered contract and whose it is."""

    id: str
    term: str
    crn: str
    pidm: int
    template: str
    sha256: str
    pdf: bytes
    text: str


class ContractStore(Protocol):
    """Where contracts are kept (sealed); every method is idempotent for a re-run node."""

    def keep(self, contract: Contract) -> None:
        """Store ``contract`` as routing; the same id again changes nothing."""
        ...

    def get(self, contract_id: str) -> Contract:
        """The contract, opened (raises :class:`core.errors.NotFoundError` when unknown)."""
        ...

    def status(self, contract_id: str) -> ContractStatus:
        """Its current status."""
        ...

    def set_status(self, contract_id: str, status: ContractStatus) -> None:
        """Move it to ``status``."""
        ...

    def resolve_active(self, term: str, crn: str, pidm: int) -> int:
        """Mark the student's active contracts of the section resolved; how many were."""
        ...
