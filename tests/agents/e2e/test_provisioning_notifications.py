"""Done when: a provisioning run posts one message per section to a local receiver, no PII.

The runs go the worker's way (:class:`runtime.pipeline.AgentHandler` over the seeded term and
the Canvas simulator), so the notifications come from the pipeline's ledger path, not from a
call the test makes. The receiver is the ``bca notify-sink`` server on a free port, reached over
real HTTP; what the messages must say is read from Banner with plain SQL.
"""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agents.events import parse_event
from core.db import make_engine
from core.settings import NotifyChannel, Settings
from runtime.contracts import SealedContractStore
from runtime.inbox import RetryPolicy
from runtime.ledger import RunLedger
from runtime.notify import Deliverer, Notifier, outbox_in
from runtime.notify.sink import running_sink
from runtime.pipeline import AgentHandler, Pipeline
from runtime.vaults import VaultStore
from tests.agents.e2e.conftest import TERM, TODAY, World
from tests.agents.e2e.test_mass_drop import drop_most_of_the_term

STANDALONE = (
    "SELECT s.ssbsect_crn, s.ssbsect_enrl FROM ssbsect s WHERE s.ssbsect_term_code = :t"
    " AND s.ssbsect_ssts_code = 'A' AND s.ssbsect_ptrm_start_date <= :due"
    " AND NOT EXISTS (SELECT 1 FROM ssrxlst x WHERE x.ssrxlst_term_code = s.ssbsect_term_code"
    " AND x.ssrxlst_crn = s.ssbsect_crn) ORDER BY s.ssbsect_crn LIMIT 3"
)


def handler_for(world: World, tmp_path: Path, channels: list[NotifyChannel]) -> AgentHandler:
    """The worker's handler over the test world, its pipeline notifying ``channels``."""
    settings = Settings.embedded_in(tmp_path).model_copy(update={"notify_channels": channels})
    app = make_engine(f"sqlite:///{tmp_path}/app.db")
    ledger = RunLedger(app)
    ledger.create_schema()
    pipeline = Pipeline(
        settings=settings,
        banner=world.banner,
        app_engine=app,
        canvas=world.client,
        redactor=world.redactor,
        deps=world.deps,
        vaults=VaultStore.from_settings(settings, app),
        ledger=ledger,
        contracts=SealedContractStore.from_settings(settings, app),
        notifier=Notifier.from_settings(settings, app, world.deps.guard.policy),
    )
    return AgentHandler(pipeline, world.graph, ExitStack())


def provision(handler: AgentHandler, crns: list[str]) -> None:
    for crn in crns:
        event = parse_event({"kind": "banner.section.created", "event_id": f"prov-{crn}",
                             "term_code": TERM, "crn": crn,
                             "occurred_at": "2025-09-15T10:00:00Z"})  # fmt: skip
        assert handler.handle(event).status == "done"


def people_strings(world: World) -> list[str]:
    """Every name, Banner ID and e-mail of the sandbox's people (names as whole words)."""
    names = world.sql(
        "SELECT spriden_id, spriden_first_name, spriden_last_name FROM spriden"
    ) + world.sql("SELECT goremal_email_address, NULL, NULL FROM goremal")
    titles = " ".join(str(t) for (t,) in world.sql("SELECT scbcrse_title FROM scbcrse") if t)
    found = {str(v) for row in names for v in row if v}
    # A surname that is also a word of a course title ("Law") cannot tell a course from a person.
    return sorted(v for v in found if not re.search(rf"\b{re.escape(v)}\b", titles))


def leaks(posts: list[dict[str, Any]], people: list[str]) -> list[str]:
    text = json.dumps([p["body"] for p in posts]) + " ".join(p["key"] for p in posts)
    return [v for v in people if re.search(rf"\b{re.escape(v)}\b", text)]


def facts_of(post: dict[str, Any]) -> dict[str, str]:
    blocks = post["body"]["blocks"]
    pairs = [f["text"][1:].split("*\n", 1) for b in blocks if b["type"] == "section"
             for f in b.get("fields", ())]  # fmt: skip
    return {k: v for k, v in pairs}


def test_each_provisioned_section_is_posted_once_with_counts_and_no_pii(
    world: World, tmp_path: Path
) -> None:
    due = (TODAY + timedelta(days=30)).isoformat()
    sections = {str(crn): int(enrl) for crn, enrl in world.sql(STANDALONE, t=TERM, due=due)}
    assert len(sections) == 3
    with running_sink(fail_first=3, out=tmp_path / "sink.jsonl") as sink:
        channel = NotifyChannel(name="ops", kind="slack", url=sink.url)
        handler = handler_for(world, tmp_path, [channel])
        started = datetime.now(UTC)
        provision(handler, list(sections))
        provision(handler, list(sections)[:1])  # a redelivered event: no second message
        outbox = outbox_in(handler.pipeline.app_engine)
        now = [datetime.now(UTC)]
        loop = Deliverer(outbox, [channel], retry=RetryPolicy(max_attempts=6), clock=lambda: now[0])
        for _ in range(4):  # 500 three times, then 200s, each retry after its backoff
            loop.deliver()
            now[0] += timedelta(hours=1)
        posts = sink.state.posts
    assert sink.state.refused == 3
    assert outbox.counts() == {"pending": 0, "sent": 3, "dead": 0}
    assert len(sink.state.keys) == len(posts) == 3  # each message exactly once in effect
    lines = [json.loads(line) for line in (tmp_path / "sink.jsonl").read_text().splitlines()]
    assert [line["key"] for line in lines] == sink.state.keys
    by_crn = {facts_of(p)["CRN"]: p for p in posts}
    assert set(by_crn) == set(sections)
    for crn, post in by_crn.items():
        facts = facts_of(post)
        teachers = world.sql(
            "SELECT COUNT(*) FROM sirasgn WHERE sirasgn_term_code = :t AND sirasgn_crn = :c",
            t=TERM, c=crn,
        )[0][0]  # fmt: skip
        assert facts["Term"] == TERM
        assert facts["Students"] == str(sections[crn])
        assert facts["Instructors"] == str(teachers)
        assert re.match(r"[A-Z]{2,4} \d{3,4}-\w+", facts["Course"])
        [stamp] = [e["text"] for b in post["body"]["blocks"] if b["type"] == "context"
                   for e in b["elements"]]  # fmt: skip
        assert started <= datetime.fromisoformat(stamp) + timedelta(seconds=1)
        assert f"Section {TERM}/{crn} provisioned in Canvas" in post["body"]["text"]
    people = people_strings(world)
    assert len(people) > 600  # 300 students and their staff: names, IDs, e-mails
    assert leaks(posts, people) == []


def test_the_pii_check_catches_a_name(world: World) -> None:
    """The leak check above can fail: a post quoting a student's e-mail or name is caught."""
    people = people_strings(world)
    [(email,)] = world.sql("SELECT goremal_email_address FROM goremal LIMIT 1")
    [(last,)] = world.sql(
        "SELECT spriden_last_name FROM spriden WHERE spriden_last_name IN ("
        + ",".join(f"'{v}'" for v in people if "'" not in v) + ") LIMIT 1"
    )  # fmt: skip
    posted = [{"key": "k", "body": {"text": f"Dear {last}, write to {email}"}}]
    assert set(leaks(posted, people)) >= {email, last}


def test_a_channel_that_always_fails_leaves_the_runs_done_and_the_message_dead(
    world: World, tmp_path: Path
) -> None:
    due = (TODAY + timedelta(days=30)).isoformat()
    crns = [str(crn) for crn, _ in world.sql(STANDALONE, t=TERM, due=due)][:1]
    with running_sink(fail_first=1000) as sink:
        channel = NotifyChannel(name="ops", kind="teams", url=sink.url)
        handler = handler_for(world, tmp_path, [channel])
        provision(handler, crns)  # the run is done whatever the channel does
        outbox = outbox_in(handler.pipeline.app_engine)
        now = [datetime.now(UTC)]
        loop = Deliverer(outbox, [channel], retry=RetryPolicy(max_attempts=3), clock=lambda: now[0])
        for _ in range(4):
            loop.deliver()
            now[0] += timedelta(hours=1)
    assert sink.state.refused == 3 and sink.state.posts == []
    [dead] = outbox.list(dead=True)
    assert dead.attempts == 3 and dead.last_error == "HTTP 500: refused (fail-first)"
    assert world.canvas.get_section(f"{TERM}-{crns[0]}", use_sis_id=True)  # Canvas has it


def test_a_tripped_mass_drop_guard_and_the_exceptions_are_posted_without_pii(
    world: World, tmp_path: Path
) -> None:
    with running_sink() as sink:
        channel = NotifyChannel(
            name="ops", kind="slack", url=sink.url, rules=["mass_drop_held", "exceptions_raised"]
        )
        handler = handler_for(world, tmp_path, [channel])
        reconcile = {"kind": "scheduled.reconcile_term", "term_code": TERM,
                     "occurred_at": "2025-09-15T10:00:00Z"}  # fmt: skip
        assert handler.handle(parse_event({**reconcile, "event_id": "first"})).status == "done"
        drop_most_of_the_term(world)
        handler.handle(parse_event({**reconcile, "event_id": "mass"}))
        handler.handle(parse_event({**reconcile, "event_id": "mass"}))  # redelivered
        outbox = outbox_in(handler.pipeline.app_engine)
        Deliverer(outbox, [channel]).deliver()
        posts = sink.state.posts
    held = [p for p in posts if p["body"]["text"].startswith("Mass-drop guard tripped")]
    assert len(held) == 1, [p["body"]["text"] for p in posts]
    facts = facts_of(held[0])
    assert facts["Action"] == "canvas_apply_roster_plan" and facts["Term"] == TERM
    assert facts["Approver"] == "registrar"
    assert leaks(posts, people_strings(world)) == []
