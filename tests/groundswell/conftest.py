"""The demo company's portfolio, ingested and analysed: one fresh copy per test module that asks for it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from groundswell import pipeline
from groundswell.settings import Settings, load_config
from groundswell.wiring import build_agents, build_classifier, build_engine

DEMO = Path(__file__).resolve().parents[2] / "groundswell" / "demo_company"


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory):
    engine = build_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'gs.db'}")
    pipeline.ingest(engine, paths=[DEMO])
    classifier = build_classifier("local", Settings())
    agents, multithread = build_agents(classifier, load_config())
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    pipeline.analyze(engine, classifier=classifier, agents=agents, multithread=multithread, as_of=now, now=now)
    return engine
