"""Log records carry no structured identifier, whichever logger made them and however."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from policies.pii.logs import IdentifierScrubber, install_log_redaction


@pytest.fixture
def scrubbed() -> Iterator[None]:
    factory = logging.getLogRecordFactory()
    install_log_redaction()
    yield
    logging.setLogRecordFactory(factory)


def test_every_identifier_kind_becomes_its_label_and_the_rest_stays() -> None:
    line = (
        "canvas 422 for A00012345 (jane.doe@bca.example.edu, 555-867-5309, SSN 123-45-6789)"
        " pidm 100004 in 202710-10001 event canvas:3f9a0c"
    )
    assert IdentifierScrubber().scrub(line) == (
        "canvas 422 for <BANNER_ID> (<EMAIL>, <PHONE>, SSN <SSN>) pidm <PIDM>"
        " in 202710-10001 event canvas:3f9a0c"
    )


def test_records_of_any_logger_are_scrubbed_with_their_arguments_and_traceback(
    scrubbed: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="canvasapi")  # a CLI test may have quietened it
    logging.getLogger("canvasapi.requester").info("GET users/sis_user_id:%s", "A00054321")
    try:
        raise ValueError("no Canvas user for jane.doe@bca.example.edu")
    except ValueError:
        logging.getLogger("runtime.worker").exception("event %s failed", "canvas:3f9a0c")
    text = caplog.text
    assert "A00054321" not in text and "jane.doe@bca.example.edu" not in text
    assert "sis_user_id:<BANNER_ID>" in text and "event canvas:3f9a0c failed" in text
    assert "ValueError: no Canvas user for <EMAIL>" in text  # the traceback, scrubbed too


def test_installing_twice_scrubs_once_and_a_bad_format_still_reaches_logging(
    scrubbed: None, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()
    caplog.set_level(logging.INFO)
    logging.getLogger("x").info("call %s", "555-867-5309")
    assert caplog.records[0].getMessage() == "call <PHONE>"
    bad = logging.getLogRecordFactory()("x", logging.INFO, "f.py", 1, "%d", ("A00012345",), None)
    assert (bad.msg, bad.args) == ("%d", ("A00012345",))  # logging reports it when writing
    assert logging.getLogRecordFactory().scrubber is not None  # type: ignore[attr-defined]
