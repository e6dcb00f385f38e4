"""What the routes share, built once by the app factory and handed to routes as a dependency.

Routes never open engines or read settings themselves: they ask for :class:`Services` (or one
of its parts) through ``Depends``, so a test builds the same app around its own databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine

from core.settings import Settings
from policies.audit import AuditLog
from runtime.api.queue import ApprovalDesk
from runtime.draft_log import SqlDraftLog
from runtime.inbox import Inbox, Reparser
from runtime.student_profiles import ProfileService


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
    profiles: ProfileService


def services(request: Request) -> Services:
    """The app's services (set by the app factory)."""
    found: Services = request.app.state.services
    return found


Deps = Annotated[Services, Depends(services)]
