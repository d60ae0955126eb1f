"""Settings from the environment and configuration from TOML, each built once.

`Settings` holds what differs per deployment and must never be written to a
file: the database URL, API base URLs and secrets (as `SecretStr`, so they
never print).  `Config` holds tuning that CS-ops edit: vendor domains,
analysis windows, scoring weights, playbooks.  The CLI builds both and passes
them down; nothing here runs at import time.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class VendorConfig(BaseModel):
    domains: list[str] = []


class AnalysisConfig(BaseModel):
    batch_size: int = Field(2000, gt=0)
    engagement_window_days: int = Field(30, gt=0)
    baseline_days: int = Field(60, gt=0)
    drop_ratio: float = Field(0.4, gt=0, lt=1)
    silence_days: int = Field(21, gt=0)
    senior_titles: list[str] = []


class ScoringConfig(BaseModel):
    half_life_days: float = Field(45, gt=0)
    repeat_decay: float = Field(0.5, ge=0, le=1)
    contraction_share: float = Field(0.3, ge=0, le=1)
    expansion_share: float = Field(0.25, ge=0)
    renewal_window_days: int = Field(120, ge=0)
    renewal_boost: float = Field(1.5, ge=1)
    weights: dict[str, float] = {}


class ActionsConfig(BaseModel):
    due_days: dict[str, int] = {}
    limit: int = Field(20, gt=0)


class ServeConfig(BaseModel):
    watch: list[Path] = []
    refresh_minutes: int = Field(15, gt=0)
    digest_cron: str = "0 8 * * mon"
    digest_path: Path = Path("groundswell-digest.html")
    timezone: str = "UTC"


class Config(BaseModel):
    vendor: VendorConfig = VendorConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    scoring: ScoringConfig = ScoringConfig()
    actions: ActionsConfig = ActionsConfig()
    playbooks: dict[str, str] = {}
    sources: dict[str, dict[str, Any]] = {}
    serve: ServeConfig = ServeConfig()


def load_config(path: Path | None = None) -> Config:
    """Packaged defaults, with `path` (default config/groundswell.toml, if present) merged over them."""
    merged = tomllib.loads(resources.files("groundswell").joinpath("defaults.toml").read_text())
    chosen = path if path is not None else DEFAULT_CONFIG
    if path is not None and not chosen.is_file():
        raise ConfigError(f"config file {chosen} not found: pass an existing file to --config")
    if chosen.is_file():
        try:
            merged = _merge(merged, tomllib.loads(chosen.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{chosen}: invalid TOML ({exc})") from None
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{chosen}: {where}: {first['msg']}") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
