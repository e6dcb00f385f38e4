"""Operations notifications: the outbox, delivery over real HTTP and SMTP, retries, digests.

The receivers are real: the local sink (``bca notify-sink``'s server) on a free port and an
aiosmtpd server. The outbox runs on SQLite and PostgreSQL. Time is a clock the test moves, so
backoff is checked without waiting for it.
"""

from __future__ import annotations

import json
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from pydantic import ValidationError

import runtime.cli
from agents.events import parse_event
from core.db import make_engine
from core.settings import NotifyChannel, Settings, get_settings
from runtime.inbox import Inbox, RetryPolicy
from runtime.notify import Deliverer, Message, Outbox, deliverer, outbox_in
from runtime.notify.channels import teams_body
from runtime.notify.rules import run_messages
from runtime.notify.sink import running_sink

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def message(n: int, rule: str = "section_provisioned") -> Message:
    return Message(
        id=f"{rule}:{n}",
        rule=rule,
        title=f"Section 202610/{10000 + n} provisioned in Canvas",
        facts=[("CRN", str(10000 + n)), ("Students", "31")],
        at=T0,
    )


def slack(url: str, **more) -> NotifyChannel:
    return NotifyChannel(name="ops", kind="slack", url=url, **more)


@pytest.fixture
def outbox(app_url: str):
    engine = make_engine(app_url)
    box = outbox_in(engine)
    yield box
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_enqueue_is_idempotent_and_follows_each_channels_rules(outbox: Outbox) -> None:
    everything = slack("http://127.0.0.1:1/a")
    grades_only = NotifyChannel(
        name="grades", kind="teams", url="http://127.0.0.1:1/b", rules=["grades_posted"]
    )
    messages = [message(1), message(2, "grades_posted")]
    assert outbox.enqueue(messages, [everything, grades_only], T0) == 3
    assert outbox.enqueue(messages, [everything, grades_only], T0) == 0  # derived again: no-op
    assert {d.message.id for d in outbox.due("ops", T0)} == {"section_provisioned:1",
                                                              "grades_posted:2"}  # fmt: skip
    assert [d.message.id for d in outbox.due("grades", T0)] == ["grades_posted:2"]
    assert outbox.counts() == {"pending": 3, "sent": 0, "dead": 0}


def test_slack_posts_block_kit_with_a_fallback_and_the_idempotency_key(outbox: Outbox) -> None:
    with running_sink() as sink:
        outbox.enqueue([message(1)], [slack(sink.url)], T0)
        done = Deliverer(outbox, [slack(sink.url)], clock=Clock()).deliver()
    assert (done.sent, done.retrying, done.dead) == (1, 0, 0)
    [post] = sink.state.posts
    assert post["key"] == "section_provisioned:1"
    body = post["body"]
    assert "Section 202610/10001 provisioned" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    fields = [f["text"] for b in body["blocks"] if b["type"] == "section" for f in b["fields"]]
    assert "*CRN*\n10001" in fields and "*Students*\n31" in fields
    assert outbox.counts()["sent"] == 1


def test_teams_gets_an_adaptive_card() -> None:
    body = teams_body([message(1)])
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet"
             for f in b["facts"]}  # fmt: skip
    assert facts["CRN"] == "10001" and facts["at"].startswith("2026-01-12T09:00")


def test_a_receiver_failing_three_times_ends_with_each_message_once(outbox: Outbox) -> None:
    clock = Clock()
    retry = RetryPolicy(max_attempts=6, base_delay=timedelta(seconds=30))
    with running_sink(fail_first=3) as sink:
        channel = slack(sink.url)
        outbox.enqueue([message(1), message(2)], [channel], T0)
        loop = Deliverer(outbox, [channel], retry=retry, clock=clock)
        first = loop.deliver()  # 500, 500
        assert (first.sent, first.retrying) == (0, 2)
        clock.now = T0 + timedelta(seconds=29)
        assert loop.deliver().sent == 0  # backoff: not due yet
        clock.now = T0 + timedelta(seconds=30)
        second = loop.deliver()  # the third 500, then a 200
        assert (second.sent, second.retrying) == (1, 1)
        clock.now = T0 + timedelta(minutes=10)
        assert loop.deliver().sent == 1
        # A deliverer that died after the post and before marking it sent posts it again:
        outbox.failed(outbox.list()[:1], "lost the answer", clock.now, retry)
        clock.now += timedelta(hours=1)
        assert loop.deliver().sent == 1
        keys = sink.state.keys
    assert sorted(keys) == ["section_provisioned:1", "section_provisioned:2"]  # once in effect
    assert len(sink.state.posts) == 3 and sink.state.refused == 3
    assert outbox.counts() == {"pending": 0, "sent": 2, "dead": 0}


def test_a_receiver_that_times_out_or_is_not_there_ends_dead_with_the_reason(
    outbox: Outbox,
) -> None:
    clock = Clock()
    retry = RetryPolicy(max_attempts=2, base_delay=timedelta(seconds=1))
    with running_sink(delay=1.0) as slow:
        channels = [
            NotifyChannel(name="slow", kind="slack", url=slow.url),
            NotifyChannel(name="gone", kind="teams", url=f"http://127.0.0.1:{free_port()}/x"),
        ]
        outbox.enqueue([message(1)], channels, T0)
        loop = Deliverer(outbox, channels, retry=retry, timeout=0.2, clock=clock)
        assert loop.deliver().retrying == 2
        clock.now += timedelta(seconds=5)
        assert loop.deliver().dead == 2
    dead = {d.channel: d for d in outbox.list(dead=True)}
    assert dead["slow"].last_error == "timed out after 0.2 s"
    assert "ConnectError" in (dead["gone"].last_error or "")
    assert dead["slow"].attempts == 2
    assert loop.deliver().sent == 0  # dead stays dead


def test_digest_mode_posts_one_batch_per_interval(outbox: Outbox) -> None:
    clock = Clock()
    with running_sink() as sink:
        channel = slack(sink.url, digest_seconds=300)
        outbox.enqueue([message(n) for n in range(3)], [channel], T0)
        loop = Deliverer(outbox, [channel], clock=clock)
        clock.now = T0 + timedelta(seconds=299)
        assert loop.deliver().sent == 0
        clock.now = T0 + timedelta(seconds=300)
        assert loop.deliver().sent == 3
    [post] = sink.state.posts
    assert post["key"].startswith("digest:")
    assert post["body"]["blocks"][0]["text"]["text"] == "Digest: 3 operations notifications"
    assert all(f"CRN: 1000{n}" in post["body"]["text"] for n in range(3))


def test_smtp_mail_carries_the_key_and_the_facts(outbox: Outbox) -> None:
    received = []

    class Keep(MessageHandler):
        def handle_message(self, mail) -> None:
            received.append(mail)

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        channel = NotifyChannel(
            name="mail", kind="smtp", smtp_host="127.0.0.1", smtp_port=controller.port,
            smtp_from="bca@example.edu", smtp_to=["lms-admins@example.edu"],
        )  # fmt: skip
        outbox.enqueue([message(1)], [channel], T0)
        assert Deliverer(outbox, [channel], clock=Clock()).deliver().sent == 1
    finally:
        controller.stop()
    [mail] = received
    assert mail["X-Idempotency-Key"] == "section_provisioned:1"
    assert mail["To"] == "lms-admins@example.edu"
    assert "CRN: 10001" in mail.get_payload(decode=True).decode()


def test_dead_inbox_events_become_messages_once(app_url: str) -> None:
    engine = make_engine(app_url)
    settings = Settings(notify_channels=[slack("http://127.0.0.1:1/x")])
    loop = deliverer(settings, engine)
    inbox = Inbox(engine)
    loop.deliver()  # the first sweep starts the cursor: older dead events are not news
    event = parse_event({"kind": "banner.section.created", "event_id": "s-1", "term_code": "202610",
                         "crn": "10001", "occurred_at": "2026-01-12T09:00:00Z"})  # fmt: skip
    inbox.store(event, source="banner")
    inbox.bury("s-1", "section 202610/10001: not found")
    assert loop.deliver().swept == 1
    assert loop.deliver().swept == 0
    [row] = loop.outbox.list()
    assert row.message.rule == "dead_event"
    assert ("Reason", "section 202610/10001: not found") in row.message.facts
    engine.dispose()


def test_channels_are_checked_when_settings_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BCA_NOTIFY_CHANNELS", json.dumps(
        [{"name": "ops", "kind": "teams", "url": "https://example.invalid/hook",
          "rules": ["dead_event"], "digest_seconds": 60}]
    ))  # fmt: skip
    [channel] = Settings().notify_channels
    assert (channel.kind, channel.rules, channel.digest_seconds) == ("teams", ["dead_event"], 60)
    assert "example.invalid" not in str(channel)  # a webhook URL is a credential: masked
    for bad, says in [
        ({"name": "ops", "kind": "slack"}, "needs an http\\(s\\) url"),
        ({"name": "m", "kind": "smtp", "smtp_to": ["a@b"]}, "smtp needs smtp_from"),
        ({"name": "ops", "kind": "slack", "url": "http://x", "rules": ["gossip"]}, "rules"),
        ({"name": "ops", "kind": "pager", "url": "http://x"}, "kind"),
    ]:
        monkeypatch.setenv("BCA_NOTIFY_CHANNELS", json.dumps([bad]))
        with pytest.raises(ValidationError, match=says):
            Settings()


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys, *argv: str) -> tuple[int, str]:
    get_settings.cache_clear()
    monkeypatch.setattr(sys, "argv", ["bca", *argv])
    with pytest.raises(SystemExit) as ended:
        runtime.cli.main()
    out = capsys.readouterr()
    return int(ended.value.code or 0), " ".join((out.out + out.err).split())


def test_cli_test_list_and_deliver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("BCA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("BCA_NOTIFY_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("COLUMNS", "300")  # the table unwrapped
    gone = f"http://127.0.0.1:{free_port()}/x"
    with running_sink() as sink:
        monkeypatch.setenv("BCA_NOTIFY_CHANNELS", json.dumps(
            [{"name": "ops", "kind": "slack", "url": sink.url},
             {"name": "gone", "kind": "slack", "url": gone}]
        ))  # fmt: skip
        code, said = run_cli(monkeypatch, capsys, "notify", "test", "ops")
        assert code == 0 and said.startswith("sent to ops (slack) in")
        assert sink.state.posts[0]["body"]["text"].startswith("Test notification")
        code, said = run_cli(monkeypatch, capsys, "notify", "test", "gone")
        assert code == 1 and "channel gone (slack): ConnectError" in said
        code, said = run_cli(monkeypatch, capsys, "notify", "test", "nope")
        assert code == 2 and "no channel 'nope' in BCA_NOTIFY_CHANNELS (configured: ops, gone)" in (
            said
        )
        settings = get_settings()
        outbox_in(make_engine(settings.database_url)).enqueue(
            [message(7)], settings.notify_channels, datetime.now(UTC)
        )
        code, said = run_cli(monkeypatch, capsys, "notify", "deliver")
        assert code == 0 and "sent 1, retrying 0, dead 1" in said
    code, said = run_cli(monkeypatch, capsys, "notify", "list", "--dead")
    assert code == 0 and "gone" in said and "ConnectError" in said and "dead 1" in said
    get_settings.cache_clear()


def test_grade_batches_and_exceptions_are_counted_never_quoted() -> None:
    values = {
        "event": {"kind": "scheduled.close_grading", "event_id": "close", "term_code": "202610"},
        "outcome": {
            "status": "needs_person",
            "detail": "5 grade(s) posted and 4 confirmed by read-back; 0 declined",
            "figures": {"posted": 5, "edited": 1, "declined": 0, "confirmed": 4},
        },
        "exceptions": [
            {"kind": "grade_not_confirmed", "detail": "Jane Roe (A00012345) shows no grade",
             "term": "202610", "crn": "10001", "pidm": 4711},
            {"kind": "grade_not_confirmed", "detail": "x", "term": "202610", "crn": "10002"},
        ],
    }  # fmt: skip
    found = {m.rule: m for m in run_messages("event:close", values, [], lambda r, t: False, T0)}
    assert set(found) == {"grades_posted", "exceptions_raised"}
    grades = dict(found["grades_posted"].facts)
    assert (grades["Posted"], grades["Confirmed"], grades["Edited"]) == ("5", "4", "1")
    exceptions = dict(found["exceptions_raised"].facts)
    assert exceptions == {"grade_not_confirmed": "2", "Sections": "202610/10001, 202610/10002"}
    text = " ".join(m.model_dump_json() for m in found.values())
    assert not any(v in text for v in ("Jane", "Roe", "A00012345", "4711"))
    again = run_messages("event:close", values, [], lambda r, t: False, T0 + timedelta(hours=1))
    assert {m.id for m in again} == {m.id for m in found.values()}  # stable: stored once
