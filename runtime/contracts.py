"""Incomplete contracts kept in the app database, their bytes sealed with the vault's key.

A contract names its student, so the PDF and its text are Fernet-encrypted with the same key
that seals the pseudonym vaults (:func:`runtime.vaults.vault_key`: ``BCA_VAULT_KEY`` or
``var/vault-key``); only the section, the student's PIDM (to resolve the contract when a
completed grade arrives), the hash and the status are in the clear. Implements
:class:`agents.toolbox.contracts.ContractStore`.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from agents.toolbox.contracts import Contract, ContractStatus
from core.clock import utcnow
from core.db import UtcDateTime
from core.errors import ConfigurationError, NotFoundError
from core.settings import Settings
from runtime.vaults import fernet, vault_key

metadata = MetaData()

incomplete_contracts = Table(
    "incomplete_contracts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("term", String(6), nullable=False),
    Column("crn", String(5), nullable=False),
    Column("pidm", BigInteger, nullable=False),
    Column("template", String(80), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


class SealedContractStore:
    """Contracts in ``engine``; what names the student only ever leaves here encrypted."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._fernet = fernet(key)
        metadata.create_all(engine, checkfirst=True)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> SealedContractStore:
        """The store in the app database, sealed with the vaults' key."""
        return cls(engine, vault_key(settings))

    def keep(self, contract: Contract) -> None:
        """Insert ``contract`` as routing; a second keep of the same id is a no-op."""
        opened = {"pdf": b64encode(contract.pdf).decode(), "text": contract.text}
        now = utcnow()
        row = {
            "id": contract.id, "term": contract.term, "crn": contract.crn,
            "pidm": contract.pidm, "template": contract.template, "sha256": contract.sha256,
            "status": ContractStatus.ROUTING.value,
            "sealed": self._fernet.encrypt(json.dumps(opened).encode()),
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(incomplete_contracts).values(**row))
        except IntegrityError:
            self._row(contract.id)  # kept before (a re-run node): nothing to do

    def _row(self, contract_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(incomplete_contracts).where(incomplete_contracts.c.id == contract_id)
            ).first()
        if row is None:
            raise NotFoundError("contract", id=contract_id)
        return dict(row._mapping)

    def get(self, contract_id: str) -> Contract:
        """The contract, decrypted."""
        row = self._row(contract_id)
        try:
            opened = json.loads(self._fernet.decrypt(bytes(row["sealed"])))
        except InvalidToken:
            raise ConfigurationError(
                f"contract {contract_id} does not open with this BCA_VAULT_KEY"
            ) from None
        return Contract(
            id=contract_id, term=str(row["term"]), crn=str(row["crn"]),
            pidm=int(row["pidm"]), template=str(row["template"]),
            sha256=str(row["sha256"]), pdf=b64decode(opened["pdf"]), text=opened["text"],
        )  # fmt: skip

    def status(self, contract_id: str) -> ContractStatus:
        """The contract's status."""
        return ContractStatus(self._row(contract_id)["status"])

    def set_status(self, contract_id: str, status: ContractStatus) -> None:
        """Move the contract to ``status``."""
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(incomplete_contracts)
                .where(incomplete_contracts.c.id == contract_id)
                .values(status=status.value, updated_at=utcnow())
            ).rowcount
        if not changed:
            raise NotFoundError("contract", id=contract_id)

    def resolve_active(self, term: str, crn: str, pidm: int) -> int:
        """Active contracts of the student in the section become resolved."""
        table = incomplete_contracts
        with self.engine.begin() as conn:
            return conn.execute(
                update(table)
                .where(
                    table.c.term == term, table.c.crn == crn, table.c.pidm == pidm,
                    table.c.status == ContractStatus.ACTIVE.value,
                )
                .values(status=ContractStatus.RESOLVED.value, updated_at=utcnow())
            ).rowcount  # fmt: skip
