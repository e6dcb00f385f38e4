"""Nothing downloads: no socket is opened while building or running the redactor."""

from __future__ import annotations

import socket

import pytest

from policies.pii import PseudonymVault, Redactor


class _NetworkUsed(AssertionError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise _NetworkUsed(f"network access attempted: {args!r}")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)


@pytest.mark.usefixtures("no_network")
def test_build_and_analyze_offline() -> None:
    redactor = Redactor(["Siobhan O'Brien"])
    assert redactor.ner_enabled
    result = redactor.redact_text(
        "Siobhan wrote from siobhan@students.eou.edu and jdoe@unknown-tld.zz", PseudonymVault()
    )
    assert result.text == "<PERSON_1> wrote from <EMAIL_1> and <EMAIL_2>"


@pytest.mark.usefixtures("no_network")
def test_without_the_spacy_model_falls_back_to_patterns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("spacy.util.is_package", lambda name: False)
    redactor = Redactor(["Grant Hill"], use_gazetteer=False)
    assert not redactor.ner_enabled
    assert any("not installed" in note for note in redactor.notes)
    result = redactor.redact_text("Grant Hill met Eleanor Whitfield; A00123456", PseudonymVault())
    assert result.text == "<PERSON_1> met Eleanor Whitfield; <BANNER_ID_1>"
    # the gazetteer needs no model: a known given name and a surname still make a name
    with_gazetteer = Redactor(["Grant Hill"]).redact_text(
        "Grant Hill met Eleanor Whitfield; A00123456", PseudonymVault()
    )
    assert with_gazetteer.text == "<PERSON_1> met <PERSON_2>; <BANNER_ID_1>"
