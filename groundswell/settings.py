"""Settings from the environment and configuration from TOML, each built once.

`Settings` holds what differs per deployment and must never be written to a
file: the database URL, API base URLs and secrets (as `SecretStr`, so they
never print).  `Config` holds tuning that CS-ops edit: vendor domains,
analysis windows, scoring weights, playbooks.  The CLI builds both and passes
them down; nothing here runs at import time.
"""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from signals.baserates import OUTCOMES
from signals.catalog import BY_ID

DEFAULT_CONFIG = Path("config/groundswell.toml")


class ConfigError(Exception):
    """Configuration is missing or invalid; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GROUNDSWELL_", extra="ignore", populate_by_name=True)

    database_url: str = "sqlite:///groundswell.db"
    slack_api_url: str = "https://slack.com/api/"
    gmail_api_url: str = "https://gmail.googleapis.com/"
    llm_model: str = "gpt-4o-mini"
    openai_base_url: str | None = Field(None, validation_alias=AliasChoices("OPENAI_BASE_URL", "GROUNDSWELL_OPENAI_BASE_URL"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    slack_bot_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"))
    gong_access_key: SecretStr | None = Field(None, validation_alias=AliasChoices("GONG_ACCESS_KEY"))
    gong_secret: SecretStr | None = Field(None, validation_alias=AliasChoices("GONG_ACCESS_KEY_SECRET"))
    # Gmail: a service account with domain-wide delegation, or an OAuth installed-app token (file paths).
    gmail_service_account_file: Path | None = None
    gmail_token_file: Path | None = None


class VendorConfig(BaseModel):
    domains: list[str] = []


class AnalysisConfig(BaseModel):
    batch_size: int = Field(2000, gt=0)
    engagement_window_days: int = Field(30, gt=0)
    baseline_days: int = Field(60, gt=0)
    drop_ratio: float = Field(0.4, gt=0, lt=1)
    silence_days: int = Field(21, gt=0)
    senior_titles: list[str] = []


class BaseRateConfig(BaseModel):
    churn: float = Field(0.08, ge=0, lt=1)
    contraction: float = Field(0.10, ge=0, lt=1)
    expansion: float = Field(0.15, ge=0, lt=1)
    contraction_size: float = Field(0.3, gt=0, le=1)
    expansion_size: float = Field(0.25, gt=0)


class ScoringConfig(BaseModel):
    half_life_days: float = Field(45, gt=0)
    repeat_decay: float = Field(0.5, ge=0, le=1)
    renewal_window_days: int = Field(120, ge=0)
    renewal_boost: float = Field(1.5, ge=1)
    horizon_months: int = Field(12, gt=0, le=36)
    segment_prior_months: int = Field(600, ge=0)
    calibration_strength: float = Field(1.0, gt=0)
    interval_simulations: int = Field(2000, ge=100)
    base_rates: BaseRateConfig = BaseRateConfig()
    effects: dict[str, dict[str, float]] = {}

    @field_validator("effects")
    @classmethod
    def _known_effects(cls, effects: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for type_id, by_outcome in effects.items():
            if type_id not in BY_ID:
                raise ValueError(f"unknown signal type {type_id!r}")
            unknown = set(by_outcome) - set(OUTCOMES)
            if unknown:
                raise ValueError(f"{type_id}: unknown outcome {sorted(unknown)[0]!r} (use {', '.join(OUTCOMES)})")
        return effects


class ActionsConfig(BaseModel):
    due_days: dict[str, int] = {}
    limit: int = Field(20, gt=0)


class ServeConfig(BaseModel):
    watch: list[Path] = []
    refresh_minutes: int = Field(15, gt=0)
    digest_cron: str = "0 8 * * mon"
    digest_path: Path = Path("groundswell-digest.html")
    timezone: str = "UTC"
    backend: str = Field("local", pattern="^(local|llm)$")  # the classifier the service analyses with


class SlackConfig(BaseModel):
    """The live Slack source and where the bot posts (tokens come from the environment, never from here)."""

    channels: list[str] = []            # ids or names; empty: shared channels and accounts' slack_channels
    page_size: int = Field(200, gt=0, le=1000)
    pace_seconds: float = Field(0.0, ge=0)  # apps outside the Marketplace: 60 (one history call a minute)
    thread_lookback_days: int = Field(14, ge=0)
    sync_minutes: int = Field(10, gt=0)
    users_refresh_hours: float = Field(6.0, ge=0)  # serve re-reads users.list this often (0: every sync)
    mode: str = Field("socket", pattern="^(socket|http)$")
    port: int = Field(3000, gt=0, lt=65536)  # HTTP mode's port for /slack/events


class AlertsConfig(BaseModel):
    """What reaches a CSM and when: one message per urgent cause, the rest in a daily summary."""

    channel: str | None = None          # post here instead of a DM to the account's CSM
    urgent_mrr: float = Field(1000.0, ge=0)  # at stake below this, the alert waits for the daily summary
    min_confidence: float = Field(0.6, ge=0, le=1)
    kinds: list[str] = ["save", "protect", "expand", "multithread", "task"]
    quiet_hours: list[str] = ["19:00", "08:00"]  # [start, end] in serve.timezone, [] for none; urgent alerts wait
    summary_time: str = "09:00"         # when the daily summary goes out, in serve.timezone
    snooze_days: int = Field(7, gt=0)
    max_per_run: int = Field(20, gt=0)  # a flood is a bug or a backlog: the rest wait for the next run

    @field_validator("quiet_hours", "summary_time")
    @classmethod
    def _times(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) not in (0, 2):
            raise ValueError("give a start and an end, e.g. [\"19:00\", \"08:00\"], or [] for none")
        for text in ([value] if isinstance(value, str) else value or []):
            hours, _, minutes = str(text).partition(":")
            if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
                raise ValueError(f"{text!r} is not a time of day (HH:MM)")
        return value


class GmailConfig(BaseModel):
    """CSM mailboxes to read (credentials come from GROUNDSWELL_GMAIL_SERVICE_ACCOUNT_FILE or _TOKEN_FILE)."""

    mailboxes: list[str] = []
    first_sync_days: int = Field(90, gt=0)  # how far back the first sync reads
    sync_minutes: int = Field(10, gt=0)
    page_size: int = Field(100, gt=0, le=500)


class GongConfig(BaseModel):
    """The Gong API (keys come from GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET)."""

    api_url: str = "https://api.gong.io"
    offset_unit: str = Field("ms", pattern="^(ms|s)$")
    first_sync_days: int = Field(30, gt=0)
    sync_minutes: int = Field(30, gt=0)
    page_size: int = Field(50, gt=0, le=100)


class LLMConfig(BaseModel):
    """The optional LLM backend (model, base URL and key come from the environment)."""

    method: str = Field("json_schema", pattern="^(json_schema|function_calling|json_mode)$")  # local servers differ
    cascade: bool = True            # the local model screens; only plausible messages go to the LLM
    screen_slack: float = Field(0.5, ge=0)  # how far below a type's threshold still goes (bench/cascade.py)
    concurrency: int = Field(4, gt=0, le=64)
    timeout_seconds: float = Field(60.0, gt=0)
    max_retries: int = Field(3, ge=0)
    mask_emails: bool = True
    mask_phones: bool = True
    mask_token_urls: bool = True
    price_input_per_mtok: float = Field(0.0, ge=0)   # USD per million tokens, for the cost estimate
    price_output_per_mtok: float = Field(0.0, ge=0)


class LocalConfig(BaseModel):
    """The offline backend: the n-gram model read together with the fine-tuned encoder, or alone."""

    # The encoder reads only the messages the n-gram model is unsure of: those where some type scores from
    # `encoder_screen` below its n-gram threshold to `encoder_trust` above it.  Wider reads more messages,
    # slower and (up to a point) better: BENCHMARKS.md measures both by band.
    encoder: bool = True
    encoder_screen: float = Field(1.0, ge=0)  # = local.DEFAULT_SCREEN (not imported: it would load scipy)
    encoder_trust: float = Field(1.0, ge=0)   # = local.DEFAULT_TRUST


class DigestConfig(BaseModel):
    channel: str | None = None          # `digest --post` and serve post the weekly digest here


class Config(BaseModel):
    vendor: VendorConfig = VendorConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    scoring: ScoringConfig = ScoringConfig()
    actions: ActionsConfig = ActionsConfig()
    playbooks: dict[str, str] = {}
    sources: dict[str, dict[str, Any]] = {}
    serve: ServeConfig = ServeConfig()
    slack: SlackConfig = SlackConfig()
    alerts: AlertsConfig = AlertsConfig()
    digest: DigestConfig = DigestConfig()
    gmail: GmailConfig = GmailConfig()
    gong: GongConfig = GongConfig()
    llm: LLMConfig = LLMConfig()
    local: LocalConfig = LocalConfig()


ENV_PREFIX = "GROUNDSWELL__"


def load_config(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Packaged defaults, then `path` (default config/groundswell.toml, if present), then the environment.

    An environment variable `GROUNDSWELL__SECTION__KEY` overrides `key` of
    `[section]`; its value is read as TOML (`60`, `true`, `["a", "b"]`), or as
    a plain string when it is not TOML (`Europe/London`).  So a container can
    be tuned without a config file.
    """
    merged = tomllib.loads(resources.files("groundswell").joinpath("defaults.toml").read_text())
    chosen = path if path is not None else DEFAULT_CONFIG
    if path is not None and not chosen.is_file():
        raise ConfigError(f"config file {chosen} not found: pass an existing file to --config")
    if chosen.is_file():
        try:
            merged = _merge(merged, tomllib.loads(chosen.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{chosen}: invalid TOML ({exc})") from None
    overrides = _from_environment(os.environ if environ is None else environ)
    merged = _merge(merged, overrides)
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        origin = f"{ENV_PREFIX}{'__'.join(str(p).upper() for p in first['loc'])}" if _within(overrides, first["loc"]) \
            else str(chosen)
        raise ConfigError(f"{origin}: {where}: {first['msg']}") from None


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or len(name) == len(ENV_PREFIX):
            continue
        *sections, key = name[len(ENV_PREFIX):].lower().split("__")
        target = out
        for section in sections:
            target = target.setdefault(section, {})
        try:
            target[key] = tomllib.loads(f"value = {raw}")["value"]
        except tomllib.TOMLDecodeError:
            target[key] = raw
    return out


def _within(overrides: dict[str, Any], loc: tuple) -> bool:
    node: Any = overrides
    for part in loc:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


EFFECTS_TABLE = "[scoring.effects]"
# Starts the comment `calibrate` writes above the table; the next write drops a comment that starts so.
CALIBRATE_NOTE = "written by groundswell calibrate"


def write_effects(path: Path, effects: dict[str, dict[str, float]], *, note: str) -> None:
    """Replace the `[scoring.effects]` table of a config file, keeping everything else as written.

    The file is re-read and checked before it replaces the old one, so a
    failure leaves the old file untouched.
    """
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept = _without_table(text.splitlines(), EFFECTS_TABLE)
    body = [f"# {note}", EFFECTS_TABLE]
    for type_id, by_outcome in effects.items():
        inner = ", ".join(f"{o} = {v!r}" for o, v in by_outcome.items())
        body.append(f"{type_id} = {{ {inner} }}")
    new = "\n".join([*kept, "", *body]).lstrip("\n") + "\n"
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: cannot update [scoring.effects] ({exc}); fix the file and run again") from None
    if parsed.get("scoring", {}).get("effects") != effects:
        raise ConfigError(f"{path}: the effects written do not read back the same; the file is unchanged")
    temporary = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary.write_text(new, encoding="utf-8")
    temporary.replace(path)


def _without_table(lines: list[str], header: str) -> list[str]:
    """The lines minus one table (its header to the next header) and the comment just above it."""
    out: list[str] = []
    skipping = False
    for line in lines:
        stripped = line.strip()
        if stripped == header:
            skipping = True
            while out and out[-1].startswith(f"# {CALIBRATE_NOTE}"):
                out.pop()
            continue
        if skipping and stripped.startswith("["):
            skipping = False
        if not skipping:
            out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out
