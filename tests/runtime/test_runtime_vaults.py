"""Pseudonym vaults of paused runs: encrypted at rest, restored whole, refused with another key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from core.db import make_engine
from core.errors import ConfigurationError
from core.settings import Settings
from policies.pii.models import PiiType
from runtime.vaults import VaultStore, vault_key


def test_a_saved_vault_is_ciphertext_and_comes_back_whole(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/app.db")
    store = VaultStore.from_settings(Settings(var_dir=tmp_path), engine)
    with store.kept("event:e1") as vault:
        token = vault.pseudonym(PiiType.PERSON, "Ada Lovelace")
    with engine.connect() as conn:
        rows: list[bytes] = list(conn.execute(text("SELECT sealed FROM pii_vaults")).scalars())
    assert len(rows) == 1
    assert b"Ada" not in bytes(rows[0])
    again = store.load("event:e1")
    assert again.reidentify(f"Hello {token}") == "Hello Ada Lovelace"
    assert again.pseudonym(PiiType.PERSON, "ada  lovelace") == token  # same key, same token
    assert again.pseudonym(PiiType.PERSON, "Grace Hopper") == "<PERSON_2>"  # counters kept
    assert "Ada" not in repr(again) and store.load("event:other").summary()["tokens"] == {}
    assert (tmp_path / "vault-key").stat().st_mode & 0o777 == 0o600


def test_another_key_cannot_open_a_vault(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/app.db")
    ours = VaultStore(engine, vault_key(Settings(var_dir=tmp_path)))
    ours.create_schema()
    with ours.kept("event:e1") as vault:
        vault.pseudonym(PiiType.PERSON, "Ada Lovelace")
    with pytest.raises(ConfigurationError, match="does not open"):
        VaultStore(engine, Fernet.generate_key()).load("event:e1")
    with pytest.raises(ConfigurationError, match="Fernet key"):
        VaultStore(engine, b"not a key")
