"""What the routes share, built once by the app factory and handed to routes as a dependency.

Routes never open engines or read settings themselves: they ask for :class:`Services` (or one
of its parts) through ``Depends``, so a test builds the same app around its own databases.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from core.settings import Settings
from policies.audit import AuditLog
from runtime.api.queue import ApprovalDesk
from runtime.chat import ChatService
from runtime.contracts import SealedContractStore
from runtime.draft_log import SqlDraftLog
from runtime.inbox import Inbox, Reparser
from runtime.section_rerun import AgentRunner
from runtime.student_profiles import ProfileService


@dataclass
class LazyChat:
    """The chat service, built on first use and closed with the app.

    Building it loads the redactor's name directory and the agent, which the rest of the API
    never needs; and a deployment whose agent cannot be built still serves everything else,
    while the chat routes answer 503 saying why.
    """

    build: Callable[[Settings], ChatService]
    settings: Settings
    _service: ChatService | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> ChatService:
        """The service, built once (thread-safe: routes run in the thread pool)."""
        with self._lock:
            if self._service is None:
                self._service = self.build(self.settings)
            return self._service

    def close(self) -> None:
        """Release the service's connections, if it was ever built."""
        with self._lock:
            if self._service is not None:
                self._service.close_resources()
                self._service = None


@dataclass(frozen=True)
class Services:
    """One deployment's databases, queues and settings."""

    settings: Settings
    app_engine: Engine
    banner_engine: Engine
    inbox: Inbox
    audit: AuditLog
    desk: ApprovalDesk
    reparse: Reparser
    drafts: SqlDraftLog
    chat: LazyChat
    profiles: ProfileService
    contracts: SealedContractStore
    agents: AgentRunner | None = None
    """Runs an event through the agents (a section re-run from the exceptions page); None when
    the approval queue is not the agents' own (a test's), and the page then says so."""


def services(request: Request) -> Services:
    """The app's services (set by the app factory)."""
    found: Services = request.app.state.services
    return found


Deps = Annotated[Services, Depends(services)]
