"""`groundswell serve` as a real process: killed mid-sync it loses and duplicates nothing; two of them run each job
once.  Against a local fake Slack Web API and a SQLite database, as a deployment would run it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from connectors.slack import slack_ts
from groundswell import store
from groundswell.tables import MessageRow
from tests.fakes.slack import FakeSlack

MESSAGES = 40
ACCOUNTS = ("account_id,name,mrr,slack_channels,csm\n"
            "ACC-1,Acme Freight,24000,ext-acme,jane@vendor.example\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def slack():
    start = datetime.now(timezone.utc) - timedelta(days=3)
    with FakeSlack() as fake:
        fake.add_user("UJANE", "jane", "Jane Park", "jane@vendor.example")
        fake.add_user("UANN", "ann", "Ann Cho", "ann@acme.example", team="T0ACME")
        fake.add_channel("C0ACME", "ext-acme", is_ext_shared=True, members=["UJANE", "UANN"])
        for i in range(MESSAGES):
            fake.add_message("C0ACME", slack_ts(start + timedelta(minutes=7 * i)), "UANN", f"Update number {i} on the rollout.")
        yield fake


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "gs.toml").write_text(f"""
[vendor]
domains = ["vendor.example"]
[serve]
refresh_minutes = 1
[slack]
page_size = 2
mode = "http"
port = {free_port()}
""")
    assert start(tmp_path, "ingest", "--accounts", "accounts.csv", env={}).wait(timeout=120) == 0
    return tmp_path


def start(workdir: Path, *args: str, env: dict[str, str]) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GROUNDSWELL_", "SLACK_"))} | env
    return subprocess.Popen([sys.executable, "-m", "groundswell", *args, "--config", "gs.toml",
                             "--db", f"sqlite:///{workdir / 'gs.db'}"], cwd=workdir, env=environment,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def slack_env(fake: FakeSlack) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "GROUNDSWELL_SLACK_API_URL": fake.url}


def stored(workdir: Path) -> int:
    engine = store.make_engine(f"sqlite:///{workdir / 'gs.db'}")
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(MessageRow))
    engine.dispose()
    return count


def wait_until(condition, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def stop(process: subprocess.Popen) -> tuple[str, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def test_killed_mid_sync_then_restarted_stores_every_message_exactly_once(workdir: Path, slack: FakeSlack) -> None:
    slack.delays["conversations.history"] = 0.25  # about twenty pages: the sync takes seconds
    first = start(workdir, "serve", env=slack_env(slack))
    wait_until(lambda: len(slack.calls("conversations.history")) >= 4)
    first.kill()  # SIGKILL, in the middle of the sync
    first.communicate(timeout=30)
    assert stored(workdir) == 0  # the sync's transaction never committed: nothing half-stored

    slack.delays.clear()
    second = start(workdir, "serve", env=slack_env(slack))
    wait_until(lambda: stored(workdir) == MESSAGES)
    time.sleep(1.0)
    _, log = stop(second)
    assert "slack sync: 40 read, 40 new" in log
    assert stored(workdir) == MESSAGES

    again = start(workdir, "serve", "--once", env=slack_env(slack))
    _, log = again.communicate(timeout=120)
    assert again.returncode == 0 and "slack sync: 0 read, 0 new" in log
    assert stored(workdir) == MESSAGES


def test_two_serve_processes_run_each_job_once(workdir: Path, slack: FakeSlack) -> None:
    a = start(workdir, "serve", env=slack_env(slack))
    b = start(workdir, "serve", env=slack_env(slack))
    wait_until(lambda: stored(workdir) == MESSAGES)
    time.sleep(2.0)
    logs = [stop(a)[1], stop(b)[1]]
    leaders = [log for log in logs if "this process runs the scheduled jobs" in log]
    assert len(leaders) == 1, logs
    assert sum(log.count("slack sync:") for log in logs) == 1
    assert any("waiting to take over" in log for log in logs)
