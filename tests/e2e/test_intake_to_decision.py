"""From intake to a person's decision, all real: a signed Canvas Live Event over HTTP and a
Banner BEP message on a RabbitMQ topic exchange → inbox → in-process worker → router → an
approval → decided by the instructor in the dashboard in headless Chromium → the grade is in
Banner; the BEP registration → the student's Canvas enrolment exists.

The Live Event names its course by the one-section SIS id (``{term}-{crn}``), which is how the
agents address a section's course; effects are read with plain SQL.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import jwt
import pytest

from app import create_app
from core.settings import Settings
from policies.rbac import Role
from runtime.api.auth import mint_token
from runtime.demo import Replay, embedded_world
from runtime.intake.bep import BepConfig, BepConsumer
from runtime.worker import InProcessWorker
from sandbox.serving import serving
from tests.api.test_dashboard_browser import browser, sign_in  # noqa: F401 (fixture)
from tests.runtime.conftest import broker_url  # noqa: F401 (fixture)

KEY = "live-events-shared-secret-of-32-bytes!"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return found


async def publish_bep(url: str, exchange_name: str, body: dict[str, Any]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        await exchange.publish(
            aio_pika.Message(json.dumps(body).encode()), routing_key="USER.SFRSTCR"
        )


def test_live_event_and_bep_message_to_a_decision_in_chromium(
    tmp_path: Path,
    broker_url: str,  # noqa: F811
    browser: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BCA_CANVAS_LIVE_EVENTS_JWT_KEY", KEY)
    unique = f"e2e-{uuid.uuid4().hex[:8]}"
    with embedded_world(Settings.embedded_in(tmp_path / "var"), students=80, sections=4) as world:
        settings, sim, term = world
        replay = Replay(settings, sim, term, step=lambda *_: None)
        adds = replay.events.registrations()
        held_back = adds[-1]  # arrives later, through BEP
        replay.process("setup", [*replay.events.sections(), *adds[:-1]])
        courses = replay.activity()
        replay.grading_scheme(courses)
        crn = str(adds[0].model_dump()["crn"])
        grades = (
            "SELECT sfrstcr_pidm, sfrstcr_grde_code FROM sfrstcr WHERE sfrstcr_term_code = :t"
            " AND sfrstcr_crn = :c AND sfrstcr_grde_code IS NOT NULL"
        )
        # Final grading has begun for the section: one grade is in Banner already (a grade
        # change before any final grade is posted is a noop and asks nobody).
        replay.events.sql(
            "UPDATE sfrstcr SET sfrstcr_grde_code = 'A' WHERE sfrstcr_term_code = :t"
            " AND sfrstcr_crn = :c AND sfrstcr_pidm = :p",
            t=term,
            c=crn,
            p=adds[0].model_dump()["pidm"],
        )
        before = set(replay.events.sql(grades, t=term, c=crn))

        stop = threading.Event()
        worker = InProcessWorker(replay.inbox, replay.handler, worker_id="e2e", concurrency=2)
        threading.Thread(target=worker.run, args=(stop,), daemon=True).start()
        config = BepConfig(exchange=f"{unique}.bep_events_topic", queue=f"{unique}.bep")
        consumer = BepConsumer(replay.inbox, broker_url=broker_url, config=config)
        loop_stop: list[asyncio.Event] = []

        async def consume() -> None:
            loop_stop.append(asyncio.Event())
            await consumer.run(loop_stop[0])

        loop = asyncio.new_event_loop()
        consuming = threading.Thread(target=loop.run_until_complete, args=(consume(),))
        consuming.start()
        try:
            with serving(create_app(settings), "api") as base:
                envelope = {
                    "metadata": {"event_name": "grade_change", "context_type": "Course",
                                 "event_time": datetime.now(UTC).isoformat(),
                                 "request_id": uuid.uuid4().hex, "root_account_id": "1"},
                    "body": {"course_id": f"{term}-{crn}", "assignment_id": "1",
                             "student_id": "1", "submission_id": "1", "grade": "A"},
                }  # fmt: skip
                signed = jwt.encode({**envelope, "iat": int(time.time())}, KEY, algorithm="HS256")
                unsigned = httpx.post(f"{base}/webhooks/canvas", json=envelope)
                assert unsigned.status_code == 401, unsigned.text
                accepted = httpx.post(f"{base}/webhooks/canvas", content=signed)
                assert accepted.status_code < 300, accepted.text

                wait_for(lambda: replay.inbox.counts()["done"] >= len(adds), "BEP consumer")
                reg = held_back.model_dump()
                bep = {"id": f"{unique}-1", "table": "SFRSTCR", "operation": "INSERT",
                       "occurred_at": datetime.now(UTC).isoformat(),
                       "keys": {"SFRSTCR_TERM_CODE": term, "SFRSTCR_CRN": reg["crn"],
                                "SFRSTCR_PIDM": reg["pidm"]},
                       "data": {"SFRSTCR_RSTS_CODE": reg["rsts_code"]}}  # fmt: skip
                published = publish_bep(broker_url, config.exchange, bep)
                asyncio.run_coroutine_threadsafe(published, loop).result(30)

                instructor = str(
                    replay.events.sql(
                        "SELECT sirasgn_pidm FROM sirasgn WHERE sirasgn_term_code = :t"
                        " AND sirasgn_crn = :c",
                        t=term,
                        c=crn,
                    )[0][0]
                )
                token = mint_token(settings, role=Role.INSTRUCTOR, subject=instructor, term=term)
                page = browser.new_page(viewport={"width": 1280, "height": 900})

                def queued() -> bool:
                    sign_in(page, base, token) if "/dashboard" not in page.url else page.reload()
                    return page.locator("article.approval").count() > 0

                wait_for(queued, "the grade approval in the dashboard")
                page.locator("article.approval").first.get_by_role(
                    "button", name="Approve as drafted"
                ).click()
                page.wait_for_url(lambda url: "done=approve" in url)
                page.close()
        finally:
            if loop_stop:
                loop.call_soon_threadsafe(loop_stop[0].set)
            consuming.join(30)
            stop.set()

        banner_id = replay.events.sql(
            "SELECT spriden_id FROM spriden WHERE spriden_pidm = :p AND spriden_change_ind IS NULL",
            p=reg["pidm"],
        )[0][0]
        after = set(replay.events.sql(grades, t=term, c=crn))
        replay.close()
    assert (adds[0].model_dump()["pidm"], "A") in before
    assert after - before  # the grade the instructor approved reached Banner
    with sqlite3.connect(settings.var_dir / "canvas-sim.db") as canvas:
        enrolled = canvas.execute(
            "SELECT COUNT(*) FROM enrollments e JOIN users u ON u.id = e.user_id"
            " WHERE u.sis_user_id = ? AND e.type = 'StudentEnrollment'"
            " AND e.workflow_state = 'active'",
            (banner_id,),
        ).fetchone()[0]
    assert enrolled >= 1
