"""Ethos Integration change notifications → inbox, by polling ``GET /consume``.

Ethos does not push: the reader asks ``/consume?lastProcessedID=N&limit=L`` (``limit`` 1..1000)
with ``Accept: application/vnd.hedtech.change-notifications.v2+json`` and keeps its own
``lastProcessedID``. Each message is ``{id, published, resource{name, id, version}, operation,
content}``. The poller stores a page's events first and only then saves the last message id, so a
crash re-reads a page and the inbox absorbs the duplicates. Messages may be stale: the
specialists re-read Banner before writing, the event only says what to look at.

Ethos speaks GUIDs; the events speak Banner keys. A :class:`GuidResolver` maps a person GUID to a
PIDM, a section GUID to (term, CRN) and a hold-type GUID to a hold code (Banner keeps these in
GORGUID). A GUID it cannot resolve makes the message malformed for now: kept dead with the raw
message and replayable once the resolver knows it.

Handled resources: ``section-registrations`` (registration added / dropped / withdrawn /
wait-listed from ``status``), ``sections`` (created / changed / cancelled) and ``person-holds``
(placed / released); ``persons`` and everything else are ignored (no event kind acts on them).
"""

from __future__ import annotations

import csv
import json
import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import Field, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError

from agents.events import (
    Event,
    HoldPlaced,
    HoldReleased,
    RegistrationAdded,
    RegistrationDropped,
    RegistrationWaitlisted,
    RegistrationWithdrawn,
    SectionCancelled,
    SectionChanged,
    SectionCreated,
)
from core.errors import ServiceUnavailable
from runtime.inbox import Inbox
from runtime.intake import IgnoredEvent, MalformedEvent
from runtime.intake.cursors import CursorStore

log = logging.getLogger(__name__)

SOURCE = "ethos"
CURSOR = "ethos:lastProcessedID"
ACCEPT = "application/vnd.hedtech.change-notifications.v2+json"
_TIME = TypeAdapter(datetime)


class EthosConfig(BaseSettings):
    """Ethos poller settings (``BCA_ETHOS_*``)."""

    model_config = SettingsConfigDict(env_prefix="BCA_ETHOS_", extra="ignore")

    url: str = Field("", description="Ethos Integration base URL (empty: no Ethos poller).")
    token: SecretStr = Field(SecretStr(""), description="Bearer token for /consume.")
    limit: int = Field(1000, ge=1, le=1000, description="Messages per /consume call (≤ 1000).")
    poll_interval: float = Field(5.0, description="Seconds between polls when caught up.")
    guid_map: Path | None = Field(
        None, description="CSV export of GORGUID (ldm_name,guid,domain_key) to resolve GUIDs."
    )

    def resolver(self) -> GuidMap:
        """The GUID resolver from ``guid_map`` (empty when none is configured)."""
        return GuidMap.from_csv(self.guid_map) if self.guid_map else GuidMap(())


class GuidResolver(Protocol):
    """Ethos GUIDs to Banner keys; None when unknown."""

    def pidm(self, person_guid: str) -> int | None:
        """The PIDM of a person GUID."""
        ...

    def section(self, section_guid: str) -> tuple[str, str] | None:
        """(term code, CRN) of a section GUID."""
        ...

    def hold_code(self, hold_type_guid: str) -> str | None:
        """The STVHLDD code of a hold-type GUID."""
        ...


class GuidMap:
    """A resolver over GORGUID rows: (LDM name, GUID, domain key ``term^crn``/pidm/code)."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self._keys = {(ldm, guid): key for ldm, guid, key in rows}

    @classmethod
    def from_csv(cls, path: Path) -> GuidMap:
        """Rows from a CSV export of GORGUID: ``ldm_name,guid,domain_key`` with a header."""
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            return cls((r["ldm_name"], r["guid"], r["domain_key"]) for r in reader)

    def pidm(self, person_guid: str) -> int | None:
        """The PIDM of a person GUID."""
        key = self._keys.get(("persons", person_guid))
        return int(key) if key and key.isdigit() else None

    def section(self, section_guid: str) -> tuple[str, str] | None:
        """(term code, CRN) of a section GUID."""
        term, sep, crn = self._keys.get(("sections", section_guid), "").partition("^")
        return (term, crn) if sep else None

    def hold_code(self, hold_type_guid: str) -> str | None:
        """The STVHLDD code of a hold-type GUID."""
        return self._keys.get(("person-hold-types", hold_type_guid))


def _guid(content: Mapping[str, Any], field: str) -> str:
    ref = content.get(field)
    if not isinstance(ref, dict) or not ref.get("id"):
        raise MalformedEvent(f"content.{field}.id is missing")
    return str(ref["id"])


def _registration_kind(
    content: Mapping[str, Any],
) -> type[RegistrationAdded | RegistrationDropped | RegistrationWaitlisted | RegistrationWithdrawn]:
    status = content.get("status") or {}
    reason = str(status.get("sectionRegistrationStatusReason", "")).lower()
    registered = status.get("registrationStatus") == "registered"
    if reason == "withdrawn":
        return RegistrationWithdrawn
    if reason == "waitlisted":
        return RegistrationWaitlisted
    return RegistrationAdded if registered else RegistrationDropped


def event_from_notification(message: Mapping[str, Any], ids: GuidResolver) -> Event:
    """One change notification → typed event; raises Malformed/IgnoredEvent."""
    resource = message.get("resource") or {}
    name, operation = resource.get("name"), str(message.get("operation", ""))
    content = message.get("content") or {}
    if message.get("id") is None or not isinstance(content, dict):
        raise MalformedEvent("notification needs an id and a content object")
    try:
        occurred_at = _TIME.validate_python(message.get("published"))
    except ValidationError:
        raise MalformedEvent(f"published {message.get('published')!r} is not a time") from None
    common: dict[str, Any] = {"event_id": f"ethos:{message['id']}", "occurred_at": occurred_at}

    def section_keys(guid: str) -> dict[str, str]:
        found = ids.section(guid)
        if found is None:
            raise MalformedEvent(f"unknown section GUID {guid}")
        return {"term_code": found[0], "crn": found[1]}

    def pidm(guid: str) -> int:
        found = ids.pidm(guid)
        if found is None:
            raise MalformedEvent(f"unknown person GUID {guid}")
        return found

    try:
        match name:
            case "section-registrations":
                return _registration_kind(content)(
                    **common,
                    **section_keys(_guid(content, "section")),
                    pidm=pidm(_guid(content, "registrant")),
                )
            case "sections":
                keys = section_keys(str(resource.get("id") or content.get("id")))
                category = str((content.get("status") or {}).get("category", ""))
                if operation == "deleted" or category == "cancelled":
                    return SectionCancelled(**common, **keys)
                if operation == "created":
                    return SectionCreated(**common, **keys)
                return SectionChanged(**common, **keys)
            case "person-holds":
                type_guid = str(((content.get("type") or {}).get("detail") or {}).get("id", ""))
                code = ids.hold_code(type_guid)
                if code is None:
                    raise MalformedEvent(f"unknown hold type GUID {type_guid!r}")
                hold = {**common, "pidm": pidm(_guid(content, "person")), "hold_code": code}
                end = content.get("endOn")
                ended = bool(end) and date.fromisoformat(str(end)[:10]) <= occurred_at.date()
                if operation == "deleted" or ended:
                    return HoldReleased(**hold)
                return HoldPlaced(**hold)
            case _:
                raise IgnoredEvent(f"Ethos resource {name!r} is not one the agents act on")
    except (ValidationError, ValueError) as exc:
        raise MalformedEvent(f"{name} notification does not make a valid event: {exc}") from None


def parse_notification(raw: bytes, ids: GuidResolver) -> Event:
    """A stored raw notification (JSON) → typed event, for replay."""
    try:
        message = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"notification is not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise MalformedEvent("notification is not a JSON object")
    return event_from_notification(message, ids)


class EthosPoller:
    """Pulls change notifications into the inbox and persists ``lastProcessedID``."""

    def __init__(
        self,
        inbox: Inbox,
        cursors: CursorStore,
        client: httpx.Client,
        ids: GuidResolver,
        *,
        limit: int = 1000,
    ) -> None:
        if not 1 <= limit <= 1000:
            raise ValueError("Ethos /consume limit must be between 1 and 1000")
        self.inbox, self.cursors, self.client, self.ids, self.limit = (
            inbox,
            cursors,
            client,
            ids,
            limit,
        )

    def poll_once(self) -> int:
        """One /consume call; returns how many messages it brought (0: caught up)."""
        last = self.cursors.get(CURSOR) or "0"
        try:
            response = self.client.get(
                "/consume",
                params={"lastProcessedID": last, "limit": self.limit},
                headers={"Accept": ACCEPT},
            )
            response.raise_for_status()
            messages = response.json()
        except (httpx.HTTPError, json.JSONDecodeError) as exc:
            raise ServiceUnavailable(f"Ethos /consume failed: {exc}") from None
        if not isinstance(messages, list):
            raise ServiceUnavailable("Ethos /consume did not answer a JSON array")
        events: list[Event] = []
        for message in messages:
            try:
                events.append(event_from_notification(message, self.ids))
            except IgnoredEvent:
                continue
            except MalformedEvent as exc:
                raw = json.dumps(message, sort_keys=True).encode()
                self.inbox.store_malformed(source=SOURCE, raw_body=raw, reason=str(exc))
        self.inbox.store_many(events, source=SOURCE)
        if messages:
            self.cursors.set(CURSOR, str(messages[-1]["id"]))
        return len(messages)

    def run(self, stop: threading.Event, *, interval: float = 5.0) -> None:
        """Poll until ``stop``: back to back while pages are full, else every ``interval``."""
        while not stop.is_set():
            try:
                got = self.poll_once()
            except (ServiceUnavailable, SQLAlchemyError) as exc:
                log.warning("%s; retrying in %.0fs", exc, interval)
                got = 0
            if got < self.limit:
                stop.wait(interval)
