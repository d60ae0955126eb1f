"""`serve`: job functions with an explicit `now`, the triggers they get, and a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session

from groundswell import pipeline, store
from groundswell.scheduler import JOB_DEFAULTS, Jobs, schedule
from groundswell.settings import ConfigError, Settings, load_config
from groundswell.wiring import build_agents, build_classifier

NOW = datetime(2026, 9, 2, 9, 0, tzinfo=timezone.utc)
EML = """From: Dana Kim <dana@acme.io>
To: Maya Ortiz <maya@vendor.io>
Subject: Renewal
Date: Tue, 01 Sep 2026 10:00:00 +0000
Message-ID: <{mid}@acme.io>

We will not be renewing the contract when it ends in January.
"""


def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,name,mrr,domains,csm\nA,Acme,1000,acme.io,maya@vendor.io\n")
    (folder / "one.eml").write_text(EML.format(mid="1"))
    return folder


def jobs_for(engine, config) -> Jobs:
    classifier = build_classifier("local", Settings())
    agents, multithread = build_agents(classifier, config)
    return Jobs(engine=engine, classifier=classifier, agents=agents, multithread=multithread, config=config,
                clock=lambda: NOW)


def test_refresh_ingests_watched_folders_then_analyses(engine, tmp_path: Path) -> None:
    folder = inbox(tmp_path)
    kwargs = dict(classifier=build_classifier("local", Settings()), vendor_domains=(), now=NOW)
    agents, multithread = build_agents(kwargs["classifier"], load_config())
    first = pipeline.refresh(engine, watch=[folder, tmp_path / "gone"], agents=agents, multithread=multithread, **kwargs)
    assert first.ingested.inserted == 1 and first.analysed.messages == 1
    assert first.errors == [f"{tmp_path / 'gone'}: watched folder does not exist"]
    (folder / "two.eml").write_text(EML.format(mid="2"))
    second = pipeline.refresh(engine, watch=[folder], agents=agents, multithread=multithread, **kwargs)
    assert second.ingested.inserted == 1 and second.analysed.messages == 1
    with Session(engine) as session:
        assert {s.type for s in store.load_signals(session, until=NOW)} >= {"churn_intent"}


def test_publish_digest_writes_the_page_for_now(engine, tmp_path: Path) -> None:
    out = pipeline.publish_digest(engine, config=load_config(), path=tmp_path / "d" / "digest.html", now=NOW)
    assert out.read_text().count("2026-09-02") >= 1


def test_schedule_attaches_stable_jobs_with_safe_defaults(engine, tmp_path: Path) -> None:
    config = load_config()
    config.serve.timezone = "America/New_York"
    scheduler = schedule(BackgroundScheduler(), jobs_for(engine, config))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"refresh", "weekly_digest"}
    assert scheduler._job_defaults == {**scheduler._job_defaults, **JOB_DEFAULTS}
    digest = jobs["weekly_digest"].trigger.get_next_fire_time(None, NOW)
    assert (digest.weekday(), digest.hour, str(digest.tzinfo)) == (0, 8, "America/New_York")


def test_a_bad_cron_is_a_config_error(engine) -> None:
    config = load_config()
    config.serve.digest_cron = "every monday"
    with pytest.raises(ConfigError, match="digest_cron"):
        schedule(BackgroundScheduler(), jobs_for(engine, config))


def test_serve_runs_as_a_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    folder = inbox(tmp_path)
    (tmp_path / "serve.toml").write_text(f'[serve]\nwatch = ["{folder}"]\nrefresh_minutes = 60\n')
    db = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUNDSWELL_")}
    process = subprocess.Popen([sys.executable, "-m", "groundswell", "serve", "--db", db, "--config",
                                str(tmp_path / "serve.toml")], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _signals_stored(db):
            time.sleep(0.2)
            if process.poll() is not None:
                break
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill() if process.poll() is None else None
    assert "refresh: 1 new messages, 1 analysed" in err
    assert process.returncode == 0, err
    engine = store.make_engine(db)
    with Session(engine) as session:
        assert store.counts(session)["messages"] == 1


def _signals_stored(db: str) -> bool:
    if not Path(db.removeprefix("sqlite:///")).exists():
        return False  # the service is still starting
    engine = store.make_engine(db)
    try:
        with Session(engine) as session:
            return store.counts(session)["signals"] > 0
    except Exception:  # tables not migrated yet
        return False
    finally:
        engine.dispose()


class Flaky:
    """A live source that fails `failures` times (as an API that is down would), then reads one message."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, []

    def __call__(self, now: datetime):
        from connectors.base import RetriableSourceError
        from groundswell.sync import SyncReport
        self.calls.append(now)
        if len(self.calls) <= self.failures:
            raise RetriableSourceError("HTTP 503 from the API")
        return SyncReport(source="flaky", seen=1, stored=0)


def test_each_source_gets_its_own_job_and_a_failing_one_backs_off_without_stopping_the_others(engine) -> None:
    from datetime import timedelta

    from groundswell.scheduler import Source
    clock = [NOW]
    flaky, healthy = Flaky(failures=3), Flaky(failures=0)
    jobs = jobs_for(engine, load_config())
    jobs.clock = lambda: clock[0]
    jobs.sources = [Source("gmail", 10, flaky), Source("gong", 30, healthy)]
    scheduler = schedule(BackgroundScheduler(), jobs)
    triggers = {job.id: job.trigger.interval for job in scheduler.get_jobs() if job.id.startswith("sync_")}
    assert triggers == {"sync_gmail": timedelta(minutes=10), "sync_gong": timedelta(minutes=30)}

    for minute in range(0, 150, 10):  # the gmail job fires every ten minutes, with an explicit now
        clock[0] = NOW + timedelta(minutes=minute)
        jobs.sync("gmail")
        jobs.sync("gong")
    tried = [int((t - NOW).total_seconds() // 60) for t in flaky.calls]
    assert tried[:4] == [0, 10, 30, 70]  # failures 1, 2, 3 wait 1, 2 then 4 intervals; the 4th try succeeds
    assert tried[4:] == list(range(80, 150, 10))  # back to every interval once it works
    assert len(healthy.calls) == 15  # the other source never waited
