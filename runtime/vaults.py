"""Pseudonym vaults of paused runs, encrypted at rest in the app database.

An outreach drafted with ``<PERSON_1>`` may be approved days later in another process (the API,
while a worker paused the run). That process needs the run's :class:`PseudonymVault` to put the
real name back at the last step; without it the guard refuses to send. The vault is the one
secret of a run, so it is kept apart from everything else: one row per checkpointer thread in
its own table, Fernet-encrypted with ``BCA_VAULT_KEY`` (or a random key in ``var/vault-key``),
never in the checkpoint, the audit trail or a log line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Engine, LargeBinary, MetaData, String, Table, insert, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError

from core.clock import utcnow
from core.db import UtcDateTime
from core.errors import ConfigurationError
from core.settings import Settings
from policies.pii.vault import PseudonymVault

metadata = MetaData()

pii_vaults = Table(
    "pii_vaults",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


def vault_key(settings: Settings) -> bytes:
    """``BCA_VAULT_KEY``, else a Fernet key in ``var/vault-key`` (created once, mode 0600)."""
    configured = settings.vault_key.get_secret_value()
    if configured:
        return configured.encode()
    path = Path(settings.var_dir) / "vault-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(Fernet.generate_key().decode())
            path.chmod(0o600)
        except FileExistsError:
            pass  # another process wrote it first; use theirs
    return path.read_text(encoding="utf-8").strip().encode()


def fernet(key: bytes) -> Fernet:
    """The cipher of the vault key, or one clear error naming the setting."""
    try:
        return Fernet(key)
    except ValueError:
        raise ConfigurationError(
            "BCA_VAULT_KEY must be a Fernet key (32 url-safe base64-encoded bytes)"
        ) from None


class VaultStore:
    """Load and save one thread's vault; the mapping only ever leaves here encrypted."""

    def __init__(self, engine: Engine, key: bytes) -> None:
        self.engine = engine
        self._fernet = fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> VaultStore:
        """The store in ``engine`` (the app database) keyed as the settings say; schema made."""
        store = cls(engine, vault_key(settings))
        store.create_schema()
        return store

    def create_schema(self) -> None:
        """Create the table if missing."""
        metadata.create_all(self.engine)

    def load(self, thread_id: str) -> PseudonymVault:
        """The thread's vault, or a new empty one (named after the thread)."""
        with self.engine.connect() as conn:
            sealed = conn.execute(
                select(pii_vaults.c.sealed).where(pii_vaults.c.thread_id == thread_id)
            ).scalar()
        if sealed is None:
            return PseudonymVault(thread_id)
        try:
            data = json.loads(self._fernet.decrypt(bytes(sealed)))
        except InvalidToken:
            raise ConfigurationError(
                f"the vault of {thread_id} does not open with this BCA_VAULT_KEY"
            ) from None
        return PseudonymVault.import_secret(data)

    def save(self, thread_id: str, vault: PseudonymVault) -> None:
        """Keep the vault of ``thread_id`` (nothing is written for an empty one)."""
        if not len(vault):
            return
        sealed = self._fernet.encrypt(json.dumps(vault.export_secret()).encode())
        row = {"sealed": sealed, "updated_at": utcnow()}
        table = pii_vaults
        with self.engine.begin() as conn:
            changed = conn.execute(
                sql_update(table).where(table.c.thread_id == thread_id).values(**row)
            ).rowcount
            if not changed:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(table).values(thread_id=thread_id, **row))
                except IntegrityError:  # a concurrent first save: update theirs
                    conn.execute(
                        sql_update(table).where(table.c.thread_id == thread_id).values(**row)
                    )

    @contextmanager
    def kept(self, thread_id: str) -> Iterator[PseudonymVault]:
        """The thread's vault for a block, saved afterwards even if the block fails.

        A failing run may already have checkpointed drafts with new pseudonyms, so they must
        stay resolvable.
        """
        vault = self.load(thread_id)
        try:
            yield vault
        finally:
            self.save(thread_id, vault)
