"""Shared fixtures: a clean environment and a database per test.

`engine` runs each storage test on SQLite and, when
GROUNDSWELL_TEST_DATABASE_URL is set (`.ci/run` sets it when the local
PostgreSQL answers), on PostgreSQL too, starting from an empty schema.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from groundswell import store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "data" / "public" / "format_samples"


@pytest.fixture(autouse=True)
def _no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a real token, key or secret from the developer's environment."""
    for name in list(os.environ):
        if name.endswith(("_TOKEN", "_KEY", "_SECRET")) or name.startswith("GROUNDSWELL_") and name != "GROUNDSWELL_TEST_DATABASE_URL":
            monkeypatch.delenv(name, raising=False)


def _database_urls() -> list:
    urls = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("GROUNDSWELL_TEST_DATABASE_URL"):
        urls.append(pytest.param("postgres", id="postgres", marks=pytest.mark.postgres))
    return urls


@pytest.fixture(params=_database_urls())
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = os.environ["GROUNDSWELL_TEST_DATABASE_URL"]
    _reset(url)
    return url


def _reset(url: str) -> None:
    engine = store.make_engine(url)
    store.drop_schema(engine)
    engine.dispose()


@pytest.fixture
def engine(db_url: str):
    engine = store.make_engine(db_url)
    store.migrate(engine)
    yield engine
    engine.dispose()
