"""Pseudonyms: stable within a run, reversible at the end, never shown or serialised."""

from __future__ import annotations

import copy
import json
import logging
import pickle

import pytest
from pydantic import BaseModel, ConfigDict

from core.errors import ValidationFailed
from policies.pii import PiiType, PseudonymVault, Redactor

TEXT = (
    "Maria Garcia (A00123456, maria.garcia@eou.edu) asked about her hold. "
    "Call Maria at 541-555-0134."
)


def test_round_trip_and_stable_tokens(redactor: Redactor) -> None:
    vault = PseudonymVault()
    result = redactor.redact_text(TEXT, vault)
    for secret in ("Maria", "Garcia", "A00123456", "maria.garcia@eou.edu", "541-555-0134"):
        assert secret not in result.text
    assert "<BANNER_ID_1>" in result.text and "<EMAIL_1>" in result.text
    again = redactor.redact_text("Note for Maria Garcia, ID A00123456.", vault)
    assert again.text == f"Note for {result.entities[0].token}, ID <BANNER_ID_1>."
    assert vault.reidentify(result.text) == TEXT


def test_same_value_across_spellings_same_token() -> None:
    vault = PseudonymVault()
    assert vault.pseudonym(PiiType.PHONE, "(541) 555-0134") == vault.pseudonym(
        PiiType.PHONE, "+1 541.555.0134"
    )
    assert vault.pseudonym(PiiType.PERSON, "Maria") == vault.pseudonym(PiiType.PERSON, "maria")
    assert vault.pseudonym(PiiType.PERSON, "Mario") == "<PERSON_2>"


def test_reidentify_refuses_invented_tokens() -> None:
    vault = PseudonymVault()
    vault.pseudonym(PiiType.PERSON, "Maria")
    with pytest.raises(ValidationFailed, match="<PERSON_9>"):
        vault.reidentify("Dear <PERSON_1> and <PERSON_9>")


class _State(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    run: str
    vault: PseudonymVault


def test_mapping_never_leaks(caplog: pytest.LogCaptureFixture) -> None:
    vault = PseudonymVault(run_id="r1")
    vault.pseudonym(PiiType.SSN, "123-45-6789")
    state = _State(run="r1", vault=vault)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("vault %s %r", vault, state)
    shown = [
        repr(vault),
        str(vault),
        repr(state),
        state.model_dump_json(),
        str(state.model_dump()),
        caplog.text,
    ]
    for text in shown:
        assert "123-45-6789" not in text and "6789" not in text
    assert json.loads(state.model_dump_json())["vault"] == {"run_id": "r1", "tokens": {"SSN": 1}}
    with pytest.raises(TypeError):
        pickle.dumps(vault)
    with pytest.raises(TypeError):
        json.dumps(vault)
    assert copy.deepcopy(state).vault is vault
