"""Log lines as an operator ships them, and failures as the inbox keeps them: no one named."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from agents.events import Event
from runtime.inbox import Inbox
from runtime.logs import configure_logging, event_scope
from runtime.worker import Outcome, process
from tests.runtime.helpers import reg

LEAKY = "Canvas 400: no login for Maria Gonzalez (maria.gonzalez@bca.example.edu, A00012345)"


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


def test_json_lines_carry_the_event_in_hand_and_no_identifier(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    configure_logging("INFO", "json")  # again: one handler, not two
    log = logging.getLogger("runtime.test")
    with event_scope("canvas:3f9a0c"):
        log.info("no Canvas user for %s", "A00054321")
    try:
        raise ValueError("bounced: jane.doe@bca.example.edu")
    except ValueError:
        log.exception("outside any event")
    inside, outside = lines(capsys)
    assert inside["event_id"] == "canvas:3f9a0c" and inside["level"] == "INFO"
    assert inside["message"] == "no Canvas user for <BANNER_ID>"
    assert "event_id" not in outside and outside["logger"] == "runtime.test"
    assert "ValueError: bounced: <EMAIL>" in outside["exc"]


def test_text_lines_show_the_event_and_the_level_holds(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("WARNING", "text")
    log = logging.getLogger("runtime.test")
    with event_scope("banner:77"):
        log.info("not shown")
        log.warning("sent to 555-867-5309")
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("WARNING runtime.test [banner:77] sent to <PHONE>")


class Leaky:
    """A handler whose failure quotes a person, as a Canvas error or a validation error does."""

    def __init__(self, raises: bool) -> None:
        self.raises = raises

    def handle(self, event: Event) -> Outcome:
        logging.getLogger("runtime.test").warning("handling")
        if self.raises:
            raise RuntimeError(LEAKY)
        return Outcome.dead(LEAKY)


@pytest.mark.parametrize("raises", [True, False], ids=["exception", "dead outcome"])
def test_the_inbox_keeps_a_failure_without_the_name_or_identifiers_it_quoted(
    inbox: Inbox, capsys: pytest.CaptureFixture[str], raises: bool
) -> None:
    configure_logging("WARNING", "json")
    inbox.store(reg(1), source="test")
    [record] = inbox.claim("w", lease=timedelta(minutes=1))
    process(inbox, record, Leaky(raises))
    error = inbox.get("e1").last_error
    assert error is not None and "Canvas 400: no login for <PERSON>" in error
    assert "Gonzalez" not in error and "maria.gonzalez" not in error and "A00012345" not in error
    logged = lines(capsys)
    assert {line["event_id"] for line in logged} == {"e1"}
    assert "Gonzalez" not in json.dumps(logged)


def test_a_malformed_body_keeps_its_reason_redacted(inbox: Inbox) -> None:
    event_id = inbox.store_malformed(source="test", raw_body=b"{}", reason=LEAKY)
    assert inbox.get(event_id).last_error == (
        "Canvas 400: no login for <PERSON> (<EMAIL>, <BANNER_ID>)"
    )
