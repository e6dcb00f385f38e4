"""Ethos /consume poller against a tiny fake Ethos served by uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException

from agents.events import RegistrationAdded
from runtime.inbox import Inbox
from runtime.intake.canvas import LiveEventsConfig
from runtime.intake.cursors import CursorStore
from runtime.intake.ethos import ACCEPT, CURSOR, EthosPoller, GuidMap
from runtime.intake.replay import reparser

SECTION, ALICE, BOB, HOLD_TYPE = "sec-guid-1", "per-guid-a", "per-guid-b", "hold-type-rh"
IDS = GuidMap(
    [
        ("sections", SECTION, "202610^10001"),
        ("persons", ALICE, "1001"),
        ("person-hold-types", HOLD_TYPE, "RH"),
    ]
)


def notification(n: int) -> dict:
    published = f"2026-01-12T10:{n // 60:02d}:{n % 60:02d}Z"
    if n % 10 == 3:
        return {
            "id": n,
            "published": published,
            "operation": "replaced",
            "resource": {"name": "persons", "id": ALICE, "version": "12"},
            "content": {"id": ALICE},
        }
    if n % 10 == 5:
        return {
            "id": n,
            "published": published,
            "operation": "created",
            "resource": {"name": "person-holds", "id": f"h{n}"},
            "content": {
                "id": f"h{n}",
                "person": {"id": ALICE},
                "type": {"category": "registration", "detail": {"id": HOLD_TYPE}},
            },
        }
    if n == 7:  # a registration for a person the resolver does not know yet
        return {
            "id": n,
            "published": published,
            "operation": "created",
            "resource": {"name": "section-registrations", "id": f"r{n}"},
            "content": {
                "registrant": {"id": BOB},
                "section": {"id": SECTION},
                "status": {"registrationStatus": "registered"},
            },
        }
    reason = "dropped" if n % 2 else "registered"
    return {
        "id": n,
        "published": published,
        "operation": "replaced",
        "resource": {"name": "section-registrations", "id": f"r{n}", "version": "16"},
        "content": {
            "registrant": {"id": ALICE},
            "section": {"id": SECTION},
            "status": {
                "registrationStatus": "registered" if reason == "registered" else "notRegistered",
                "sectionRegistrationStatusReason": reason,
            },
        },
    }


MESSAGES = [notification(n) for n in range(1, 26)]


def fake_ethos(calls: list[dict]) -> FastAPI:
    app = FastAPI()

    @app.get("/consume")
    def consume(
        lastProcessedID: int = 0, limit: int = 1000, accept: str = Header("")
    ) -> list[dict]:
        if accept != ACCEPT:
            raise HTTPException(406, "wrong Accept")
        if not 1 <= limit <= 1000:
            raise HTTPException(400, "limit")
        calls.append({"last": lastProcessedID, "limit": limit})
        return [m for m in MESSAGES if m["id"] > lastProcessedID][:limit]

    return app


@pytest.fixture
def ethos_url() -> Iterator[tuple[str, list[dict]]]:
    calls: list[dict] = []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake_ethos(calls), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", calls
    server.should_exit = True
    thread.join(5)


def test_poller_pages_persists_cursor_and_keeps_unresolvable(inbox: Inbox, ethos_url) -> None:
    url, calls = ethos_url
    cursors = CursorStore(inbox.engine)
    cursors.create_schema()
    with httpx.Client(base_url=url) as client:
        poller = EthosPoller(inbox, cursors, client, IDS, limit=10)
        assert [poller.poll_once() for _ in range(4)] == [10, 10, 5, 0]
    assert [c["last"] for c in calls] == [0, 10, 20, 25]
    assert cursors.get(CURSOR) == "25"
    counts = inbox.counts()
    # 25 messages: 3 persons ignored, 1 unknown person kept dead, 21 events
    assert (counts["received"], counts["dead"]) == (21, 1)
    kinds = {r.kind for r in inbox.list_events(limit=100)}
    assert kinds >= {
        "banner.registration.added",
        "banner.registration.dropped",
        "banner.hold.placed",
    }
    added = inbox.get("ethos:2").event()
    assert isinstance(added, RegistrationAdded)
    assert (added.term_code, added.crn, added.pidm) == ("202610", "10001", 1001)

    # a restart reads from the saved cursor: nothing new, nothing twice
    with httpx.Client(base_url=url) as client:
        assert EthosPoller(inbox, cursors, client, IDS).poll_once() == 0
    assert calls[-1] == {"last": 25, "limit": 1000}

    (dead,) = inbox.list_events(statuses=["dead"])
    assert "unknown person GUID per-guid-b" in (dead.last_error or "")
    fixed = GuidMap([*((("persons", BOB, "1002"),)), ("sections", SECTION, "202610^10001")])
    new_id = inbox.replay(
        dead.event_id, reparse=reparser(canvas_config=LiveEventsConfig(), ethos_ids=fixed)
    )
    replayed = inbox.get(new_id).event()
    assert isinstance(replayed, RegistrationAdded)
    assert new_id == "ethos:7" and replayed.pidm == 1002


def test_limit_is_bounded(inbox: Inbox) -> None:
    with pytest.raises(ValueError, match="between 1 and 1000"):
        EthosPoller(inbox, CursorStore(inbox.engine), httpx.Client(), IDS, limit=1001)
