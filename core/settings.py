"""One typed settings object for the whole system.

Every knob is an environment variable with the ``BCA_`` prefix (or a line in ``.env``). The
defaults are the embedded ones: SQLite files under ``./var/``, the local Canvas simulator, an
in-process worker and template mode instead of a hosted model. Code receives a ``Settings``
instance as an argument; nothing reads the environment at import time.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")


NotifyRule = Literal[
    "section_provisioned", "exceptions_raised", "mass_drop_held", "dead_event", "grades_posted"
]
"""What operations notifications are posted about (runtime/notify/rules.py derives each)."""


class NotifyChannel(BaseModel):
    """One operations channel (BCA_NOTIFY_CHANNELS): a Slack or Teams webhook, or SMTP mail.

    ``rules`` empty takes every rule; ``digest_seconds`` above 0 batches a channel's pending
    messages into one post per that interval instead of one post per message.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    kind: Literal["slack", "teams", "smtp"]
    url: SecretStr = Field(
        SecretStr(""), description="Webhook URL (slack, teams): a credential, masked when shown."
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = ""
    smtp_to: list[str] = Field(default_factory=list)
    rules: list[NotifyRule] = Field(default_factory=list)
    digest_seconds: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _has_an_address(self) -> NotifyChannel:
        if self.kind == "smtp" and not (self.smtp_from and self.smtp_to):
            raise ValueError(f"channel {self.name}: smtp needs smtp_from and smtp_to")
        if self.kind != "smtp" and not self.url.get_secret_value().startswith(
            ("http://", "https://")
        ):
            raise ValueError(f"channel {self.name}: {self.kind} needs an http(s) url")
        return self


class Settings(BaseSettings):
    """Configuration of one deployment: embedded by default, scale-out by URL."""

    model_config = SettingsConfigDict(
        env_prefix="BCA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = Field(DEFAULT_VAR_DIR, description="Where embedded state files live.")
    banner_url: str = Field(
        f"sqlite:///{DEFAULT_VAR_DIR}/banner.db",
        description="SQLAlchemy URL of Banner: the SQLite sandbox, PostgreSQL, or oracle+oracledb://"
        " (unset: banner.db in the var directory).",
    )
    database_url: str = Field(
        f"sqlite:///{DEFAULT_VAR_DIR}/app.db",
        description="SQLAlchemy URL of the app's own state (inbox, audit trail, approvals; unset:"
        " app.db in the var directory).",
    )
    checkpoint_url: str = Field(
        "",
        description="LangGraph checkpoint store: a SQLite path or postgresql:// URL "
        "(empty: var/checkpoints.db).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "WARNING", description="Level of the log lines every command writes to stderr."
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines as text (a terminal) or one JSON object a line (a log store);"
        " both carry the event id, never a name or identifier.",
    )
    analytics_min_cell: int = Field(
        10,
        ge=2,
        description="Smallest count program-review analytics publish; smaller cells are hidden,"
        " with complements so totals cannot give them back.",
    )
    canvas_url: str = Field(
        "http://127.0.0.1:8900", description="Base URL of Canvas (or the local simulator)."
    )
    canvas_token: SecretStr = Field(
        SecretStr("bca-dev-admin-token"), description="Canvas API token (admin scope)."
    )
    canvas_account_id: int = Field(1, description="Canvas account that owns provisioned courses.")
    broker_url: str = Field(
        "", description="AMQP URL of RabbitMQ; empty means the in-process worker over the inbox."
    )
    model: str = Field("", description="Chat model name; empty means deterministic template mode.")
    openai_base_url: str = Field("", description="OpenAI-compatible endpoint (empty: OpenAI).")
    openai_api_key: SecretStr = Field(
        SecretStr(""),
        validation_alias=AliasChoices("BCA_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for the chat model endpoint.",
    )
    model_timeout_seconds: float = Field(
        8.0, gt=0, description="Longest wait for one model answer before the draft falls back."
    )
    model_max_retries: int = Field(
        1,
        ge=0,
        description="Retries of a model call that failed retryably (connection refused, 429,"
        " 5xx), within the draft; a timeout is not retried.",
    )
    model_token_field: Literal["auto", "max_tokens", "max_completion_tokens"] = Field(
        "auto",
        description="How the completion bound is sent: OpenAI's max_completion_tokens, or the"
        " max_tokens that llama.cpp, vLLM and Ollama read (llama.cpp ignores the other and"
        " generates until its context is full). auto: max_tokens when BCA_OPENAI_BASE_URL is set.",
    )
    model_concurrency: int = Field(
        4, ge=1, description="Drafts requested from the model at once, per run."
    )
    model_breaker_failures: int = Field(
        5,
        ge=1,
        description="Consecutive failed model calls after which drafts go to template mode.",
    )
    model_breaker_cooldown_seconds: float = Field(
        60.0, ge=0, description="How long template mode lasts before the model is tried again."
    )
    model_prices: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "gpt-4o-mini": (0.15, 0.60),
            "gpt-4o": (2.50, 10.00),
            "gpt-4.1-mini": (0.40, 1.60),
        },
        description="JSON: model name -> (USD per million input tokens, per million output"
        " tokens); evaluation reports estimate cost from it (unlisted models, local ones and"
        " the simulator cost 0).",
    )
    chroma_url: str = Field(
        "",
        description="URL of a chromadb server holding the knowledge base (many workers);"
        " empty: an embedded persistent store under var/chroma (one writer).",
    )
    kb_collection: str = Field("bca_kb", description="Collection of the knowledge base.")
    kb_min_score: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Cosine similarity below which a knowledge-base passage does not count as"
        " an answer (the chatbot then says it does not know and offers a person).",
    )
    chat_max_steps: int = Field(
        4, ge=1, le=12, description="Model tool-calling rounds per chat turn before a hand-off."
    )
    chat_crisis_resources: str = Field(
        "If you are in danger or thinking about harming yourself, call or text 988 (Suicide and"
        " Crisis Lifeline) or call 911 now. Campus Counseling Center, 24/7: 555-0100."
        " Campus Police emergency line: 555-0199. Title IX Office: 555-0142.",
        description="What the chatbot tells a student whose message is sensitive (self-harm,"
        " threats, harassment, a medical emergency), before a person follows up.",
    )
    kb_dir: Path | None = Field(
        None,
        description="Folder of the sandbox help corpus `bca kb build` writes and ingests"
        " (empty: var/kb). An institution's own pages are ingested with `bca kb ingest PATH`.",
    )
    kb_top_k: int = Field(
        5, ge=1, le=50, description="Knowledge-base passages retrieved per question."
    )
    auth_secret: SecretStr = Field(
        SecretStr(""),
        description="HS256 key of locally minted API tokens (`bca token`); empty: a random key "
        "kept in var/auth-secret, created on first use.",
    )
    vault_key: SecretStr = Field(
        SecretStr(""),
        description="Fernet key encrypting paused runs' pseudonym vaults at rest; empty: a random "
        "key kept in var/vault-key, created on first use.",
    )
    oidc_jwks_url: str = Field(
        "",
        description="JWKS URL of an OIDC provider; when set, API tokens must be RS256 JWTs "
        "signed by one of its keys and local tokens are refused.",
    )
    oidc_audience: str = Field("", description="Required `aud` of OIDC tokens (empty: unchecked).")
    oidc_issuer: str = Field("", description="Required `iss` of OIDC tokens (empty: unchecked).")
    banner_id_pattern: str = Field(
        r"[A@]\d{8}", description="Regular expression of the institution's Banner IDs."
    )
    pii_name_gazetteer: bool = Field(
        True,
        description="Redact names beyond the SPRIDEN directory with the names-dataset gazetteer "
        "and context rules (titles, 'met with', signatures), besides spaCy NER.",
    )
    ops_access: Literal["loopback", "token", "open"] = Field(
        "loopback",
        description="Who may read /metrics, /docs and /openapi.json: clients on this host or an "
        "operator's token (loopback), an operator's token only (token; use it behind a proxy on "
        "the same host), or anyone (open).",
    )
    session_cookie_secure: bool | None = Field(
        None,
        description="Mark the dashboard's session cookie Secure (unset: when the request, or "
        "the proxy's X-Forwarded-Proto, is https).",
    )
    session_max_age_s: int = Field(
        8 * 3600, ge=60, description="Lifetime of a dashboard sign-in (seconds)."
    )
    chat_max_chars: int = Field(
        4000, ge=1, description="Longest student chat message accepted (longer: HTTP 413)."
    )
    chat_rate_per_minute: int = Field(
        10,
        ge=1,
        description="Chat messages one student may send per minute (more: HTTP 429, Retry-After).",
    )

    canvas_templates: dict[str, int] = Field(
        default_factory=dict,
        description="JSON: Banner subject code → Canvas id of the department's template course.",
    )
    canvas_default_template: int | None = Field(
        None, description="Template course for unlisted departments (empty: blank shells)."
    )
    provisioning_window_days: int = Field(
        30, description="Provision a section's Canvas course this many days before it starts."
    )
    census_dates: dict[str, date] = Field(
        default_factory=dict, description='JSON: term code → census date, e.g. {"202610": ...}.'
    )
    census_offset_days: int = Field(
        14, description="Census for terms not listed: days after the term's first class."
    )
    # ---- incompletes (issue 17: contracts) ----
    grading_deadlines: dict[str, date] = Field(
        default_factory=dict,
        description='JSON: term code → last day of grading, for incompletes, e.g. {"202610": ...}.',
    )
    waitlist_access_terms: list[str] = Field(
        default_factory=list, description="JSON list: terms whose wait-listed students get access."
    )
    mass_drop_section_share: float = Field(
        0.25, description="A plan ending more than this share of a section's enrollments waits."
    )
    mass_drop_min_section_live: int = Field(
        10, description="Sections smaller than this are judged only by the term share."
    )
    rest_max_requests: int = Field(
        300, description="Roster plans above this many REST requests go through a SIS import."
    )
    # -- Canvas accounts from Banner (issue 15): sis_user_id is always the Banner ID --
    account_login: Literal["gobtpac", "banner_id"] = Field(
        "gobtpac",
        description="Canvas login_id: the GOBTPAC campus login (what single sign-on matches),"
        " or the Banner ID in lower case for schools without one.",
    )
    account_integration_id: Literal["none", "pidm"] = Field(
        "none", description="Canvas integration_id: none, or the PIDM (a second stable key)."
    )
    account_email_code: str = Field(
        "UNIV", description="GOREMAL_EMAL_CODE of the address a Canvas account gets."
    )
    account_email_fallback: bool = Field(
        True, description="Without an active address of that type, use the preferred one."
    )
    worker_threads: int = Field(
        2,
        ge=1,
        description="Handler threads per embedded worker process (`bca up`, `bca worker` without"
        " a broker). Two overlap one event's Canvas and database waits with another's work; more"
        " contend for the interpreter lock and cost CPU per event (measured in one process: 3"
        " threads 20.4 ms, 2 threads 17.7 ms) but wait in parallel on a distant Canvas.",
    )
    worker_processes: int = Field(
        2,
        ge=1,
        description="Processes of the embedded worker (`bca up`, `bca worker` without a broker),"
        " each with BCA_WORKER_THREADS threads, sharing the inbox. One process's threads share"
        " one interpreter lock, i.e. one core; 1 runs the worker inside the calling process.",
    )
    # -- rollout controls (issue 17) --
    rollout_file: Path | None = Field(
        None,
        description="Rollout modes per workflow (off | shadow | approve | auto, scoped rules);"
        " re-read when it changes. Empty: policies/rollout.yaml (every workflow auto).",
    )

    # -- operations notifications (runtime/notify) --
    notify_channels: list[NotifyChannel] = Field(
        default_factory=list,
        description='JSON list of channels, e.g. [{"name": "ops", "kind": "slack", "url": ...,'
        ' "rules": ["section_provisioned"]}] (empty: nothing is posted).',
    )
    notify_max_attempts: int = Field(
        6, ge=1, description="Delivery attempts of a message before it is dead with the reason."
    )
    notify_backoff_seconds: float = Field(
        30.0,
        gt=0,
        description="First retry delay of a failed post; doubles each attempt, up to an hour.",
    )
    notify_timeout_seconds: float = Field(
        5.0, gt=0, description="Longest wait for a channel to answer one post."
    )
    notify_interval_seconds: float = Field(
        10.0, gt=0, description="How often the worker's deliverer looks for messages to post."
    )

    @model_validator(mode="after")
    def _channel_names_unique(self) -> Settings:
        names = [c.name for c in self.notify_channels]
        if len(names) != len(set(names)):
            raise ValueError("BCA_NOTIFY_CHANNELS: two channels have the same name")
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _embedded_files_follow_the_var_dir(self) -> Settings:
        """With only ``BCA_VAR_DIR`` set, the embedded databases move with it.

        Every other embedded file already did; the databases stayed under ``./var/``, so two
        deployments with their own var directories shared one Banner and one inbox.
        """
        if "banner_url" not in self.model_fields_set:
            self.banner_url = f"sqlite:///{self.var_dir}/banner.db"
        if "database_url" not in self.model_fields_set:
            self.database_url = f"sqlite:///{self.var_dir}/app.db"
        return self

    @classmethod
    def embedded_in(cls, var: Path) -> Settings:
        """The embedded default with every state file under ``var`` (a throwaway deployment)."""
        return cls(
            var_dir=var,
            banner_url=f"sqlite:///{var}/banner.db",
            database_url=f"sqlite:///{var}/app.db",
            checkpoint_url=str(var / "checkpoints.db"),
        )

    def resolved_token_field(self) -> Literal["max_tokens", "max_completion_tokens"]:
        """The request field that bounds a completion at the configured endpoint."""
        if self.model_token_field != "auto":
            return self.model_token_field
        return "max_tokens" if self.openai_base_url else "max_completion_tokens"

    def resolved_kb_dir(self) -> Path:
        """The sandbox help corpus's folder, defaulting to one beside the other embedded state."""
        return self.kb_dir or self.var_dir / "kb"

    def resolved_checkpoint_url(self) -> str:
        """The checkpoint store, defaulting to a SQLite file beside the other embedded state."""
        return self.checkpoint_url or str(self.var_dir / "checkpoints.db")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment when first asked for."""
    return Settings()
