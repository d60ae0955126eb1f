"""Config from the environment: GROUNDSWELL__SECTION__KEY overrides the file, and a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundswell.settings import ConfigError, load_config


def test_environment_variables_override_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "gs.toml").write_text('[serve]\ntimezone = "UTC"\nrefresh_minutes = 15\n')
    config = load_config(tmp_path / "gs.toml", environ={
        "GROUNDSWELL__SERVE__TIMEZONE": "Europe/London", "GROUNDSWELL__SERVE__REFRESH_MINUTES": "5",
        "GROUNDSWELL__GMAIL__MAILBOXES": '["maya@vendor.io", "luis@vendor.io"]',
        "GROUNDSWELL__ALERTS__QUIET_HOURS": "[]", "GROUNDSWELL_DATABASE_URL": "sqlite:///other.db"})
    assert (config.serve.timezone, config.serve.refresh_minutes) == ("Europe/London", 5)
    assert config.gmail.mailboxes == ["maya@vendor.io", "luis@vendor.io"]
    assert config.alerts.quiet_hours == []
    assert load_config(tmp_path / "gs.toml", environ={}).serve.timezone == "UTC"


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GROUNDSWELL__SERVE__REFRESH_MINUTES: serve.refresh_minutes"):
        load_config(None, environ={"GROUNDSWELL__SERVE__REFRESH_MINUTES": "0"})
