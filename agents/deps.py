"""What the agent graph builders need, assembled once per process and shared by every run.

A graph never holds a Banner engine or a Canvas client (those arrive per run in the
:class:`agents.toolbox.ToolContext`); it holds the **guard** (its only door to the tools), the
**policy** the guard enforces, the **provisioning and roster configuration** its deterministic
nodes decide by, the **drafter** (a model, or template mode) and a **clock**. Tests build a
``GraphDeps`` by hand; the worker and the CLI build it from :class:`core.settings.Settings`
with :meth:`GraphDeps.from_settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field

from agents.drafting import Drafter, DraftLog, drafter_from_settings
from agents.rules.accounts import AccountMapping, IntegrationRule, LoginRule
from agents.rules.enrollment_status import TermPolicy
from agents.rules.roster_verdicts import REST_MAX_REQUESTS, MassDropPolicy
from core.errors import ConfigurationError
from core.settings import Settings
from policies.guard import Guard
from policies.rbac import Policy


class ProvisioningConfig(BaseModel):
    """How Banner sections become Canvas courses and how rosters are reconciled.

    Trusted configuration, never model output: the roster tools read it from the run's
    ``ToolContext`` and the specialists from :class:`GraphDeps`, so both decide alike.
    """

    model_config = ConfigDict(frozen=True)

    templates: dict[str, int] = Field(
        default_factory=dict,
        description="Department (Banner subject code, e.g. 'MATH') → Canvas id of the template"
        " course copied into its new shells.",
    )
    default_template: int | None = Field(
        None, description="Template for departments not listed; None: a blank shell."
    )
    window_days: int = Field(
        30, ge=0, description="Provision an active section once its start is this close."
    )
    census_dates: dict[str, date] = Field(
        default_factory=dict, description="Term code → census date (the drop rule's pivot)."
    )
    census_offset_days: int = Field(
        14, ge=0, description="For terms without a census date: days after the term's first class."
    )
    waitlist_access_terms: frozenset[str] = Field(
        frozenset(), description="Terms whose wait-listed students get (active) Canvas access."
    )
    mass_drop: MassDropPolicy = Field(default_factory=MassDropPolicy)
    accounts: AccountMapping = Field(
        default_factory=AccountMapping,
        description="How Banner people become Canvas users (login, integration_id, e-mail type).",
    )
    rest_max_requests: int = Field(
        REST_MAX_REQUESTS, ge=1, description="Above this many REST requests a plan is a SIS import."
    )
    copy_timeout_seconds: float = Field(600.0, gt=0)
    sis_import_timeout_seconds: float = Field(1800.0, gt=0)

    def template_for(self, subject: str) -> int | None:
        """The template course of a department, or None for a blank shell."""
        return self.templates.get(subject, self.default_template)

    def term_policy(self, term_code: str, first_class: date | None) -> TermPolicy:
        """The census and wait-list rule of a term.

        A configured census date wins; else it is ``census_offset_days`` after the term's first
        class (the earliest section start Banner knows).

        Raises:
            ConfigurationError: no census date is configured and the term has no dated section.
        """
        census = self.census_dates.get(term_code)
        if census is None:
            if first_class is None:
                raise ConfigurationError(
                    f"term {term_code} has no census date (BCA_CENSUS_DATES) and no dated section"
                )
            census = first_class + timedelta(days=self.census_offset_days)
        return TermPolicy(
            term_code=term_code,
            census_date=census,
            waitlist_access=term_code in self.waitlist_access_terms,
        )

    @classmethod
    def from_settings(cls, settings: Settings, term_share: float) -> ProvisioningConfig:
        """The configuration the ``BCA_`` settings describe; the term share is the guard's."""
        return cls(
            templates=dict(settings.canvas_templates),
            default_template=settings.canvas_default_template,
            window_days=settings.provisioning_window_days,
            census_dates=dict(settings.census_dates),
            census_offset_days=settings.census_offset_days,
            waitlist_access_terms=frozenset(settings.waitlist_access_terms),
            mass_drop=MassDropPolicy(
                max_section_share=settings.mass_drop_section_share,
                max_term_share=term_share,
                min_section_live=settings.mass_drop_min_section_live,
            ),
            rest_max_requests=settings.rest_max_requests,
            accounts=AccountMapping(
                login=LoginRule(settings.account_login),
                integration_id=IntegrationRule(settings.account_integration_id),
                email_code=settings.account_email_code,
                preferred_email_fallback=settings.account_email_fallback,
            ),
        )


@dataclass(frozen=True)
class GraphDeps:
    """Everything a graph builder (router or specialist) needs; see the module docstring.

    The guard's approval threshold and the roster plan's term share are one number: a plan the
    mass-drop rule flags is exactly a call the guard pauses (checked here, at start-up).
    """

    guard: Guard
    provisioning: ProvisioningConfig = field(default_factory=ProvisioningConfig)
    drafter: Drafter = field(default_factory=lambda: Drafter(None))
    today: Callable[[], date] = date.today
    grading_deadlines: Mapping[str, date] = field(default_factory=dict)
    """Term code → last day of grading, when an incomplete about to lapse is asked about."""

    def __post_init__(self) -> None:
        """Refuse a mass-drop rule the guard would not enforce."""
        threshold = self.guard.approvals.end_enrollment_threshold
        rule = self.provisioning.mass_drop
        if rule.max_term_share != threshold or rule.max_section_share < threshold:
            raise ConfigurationError(
                f"mass-drop shares (term {rule.max_term_share}, section {rule.max_section_share})"
                f" must match the guard's approval threshold {threshold} (term) and not undercut"
                " it (section)"
            )

    @property
    def policy(self) -> Policy:
        """The RBAC policy the guard enforces (which tools each specialist's role may call)."""
        return self.guard.policy

    @classmethod
    def from_settings(
        cls, settings: Settings, guard: Guard, draft_log: DraftLog | None = None
    ) -> GraphDeps:
        """Dependencies for the configured deployment (template mode when no model is set).

        ``draft_log`` is where drafts are recorded; shared by every process of a deployment,
        it makes their circuit breaker one.
        """
        provisioning = ProvisioningConfig.from_settings(
            settings, guard.approvals.end_enrollment_threshold
        )
        drafter = drafter_from_settings(settings, draft_log)
        return cls(
            guard=guard,
            provisioning=provisioning,
            drafter=drafter,
            grading_deadlines=dict(settings.grading_deadlines),
        )
