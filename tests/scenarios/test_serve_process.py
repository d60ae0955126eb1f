"""`groundswell serve` as a real process: killed mid-sync it loses and duplicates nothing; two of them run each job
once.  Against local fakes of the Slack Web API and Gmail and a SQLite database, as a deployment would run it."""

from __future__ import annotations

import json
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
from tests.fakes.gmail import FakeGmail
from tests.fakes.slack import FakeSlack

SLACK_MESSAGES, EMAILS = 40, 12
MESSAGES = SLACK_MESSAGES + EMAILS
ACCOUNTS = ("account_id,name,mrr,domains,slack_channels,csm\n"
            "ACC-1,Acme Freight,24000,acme.example,ext-acme,jane@vendor.example\n")
JANE = "jane@vendor.example"


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
        for i in range(SLACK_MESSAGES):
            fake.add_message("C0ACME", slack_ts(start + timedelta(minutes=7 * i)), "UANN", f"Update number {i} on the rollout.")
        yield fake


@pytest.fixture
def gmail():
    start = datetime.now(timezone.utc) - timedelta(days=3)
    with FakeGmail(tokens={"ya29.jane": JANE}) as fake:
        for i in range(EMAILS):
            fake.add_message(JANE, f"e{i}", from_="ann@acme.example", to=JANE, subject=f"Rollout {i}",
                             date=start + timedelta(hours=i), text=f"Question {i} about the rollout.")
        yield fake


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "token.json").write_text(json.dumps({
        "token": "ya29.jane", "refresh_token": "1//r", "client_id": "cid", "client_secret": "cs",
        "token_uri": "http://127.0.0.1:9/token", "expiry": "2099-01-01T00:00:00Z"}))
    (tmp_path / "gs.toml").write_text(f"""
[vendor]
domains = ["vendor.example"]
[gmail]
mailboxes = ["{JANE}"]
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


def services_env(slack: FakeSlack, gmail: FakeGmail, workdir: Path) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret", "GROUNDSWELL_SLACK_API_URL": slack.url,
            "GROUNDSWELL_GMAIL_API_URL": gmail.url, "GROUNDSWELL_GMAIL_TOKEN_FILE": str(workdir / "token.json")}


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


def test_killed_mid_sync_then_restarted_stores_every_message_exactly_once(workdir: Path, slack: FakeSlack,
                                                                         gmail: FakeGmail) -> None:
    slack.delays["conversations.history"] = 0.25  # about twenty pages: the Slack sync takes seconds
    env = services_env(slack, gmail, workdir)
    first = start(workdir, "serve", env=env)
    wait_until(lambda: len(slack.calls("conversations.history")) >= 4)
    first.kill()  # SIGKILL, in the middle of the Slack sync
    _, log = first.communicate(timeout=30)
    # Gmail's sync may have finished before the kill; Slack's transaction never committed: nothing half-stored.
    assert stored(workdir) in (0, EMAILS), log

    slack.delays.clear()
    second = start(workdir, "serve", env=env)
    wait_until(lambda: stored(workdir) == MESSAGES)
    time.sleep(1.0)
    _, log = stop(second)
    assert "slack sync: 40 read, 40 new" in log
    assert stored(workdir) == MESSAGES

    again = start(workdir, "serve", "--once", env=env)
    _, log = again.communicate(timeout=120)
    assert again.returncode == 0 and "slack sync: 0 read, 0 new" in log and "gmail sync: 0 read, 0 new" in log
    assert stored(workdir) == MESSAGES


def test_two_serve_processes_run_each_job_once(workdir: Path, slack: FakeSlack, gmail: FakeGmail) -> None:
    env = services_env(slack, gmail, workdir)
    a = start(workdir, "serve", env=env)
    b = start(workdir, "serve", env=env)
    wait_until(lambda: stored(workdir) == MESSAGES)
    time.sleep(2.0)
    logs = [stop(a)[1], stop(b)[1]]
    leaders = [log for log in logs if "this process runs the scheduled jobs" in log]
    assert len(leaders) == 1, logs
    for job in ("slack sync:", "gmail sync:", "refresh:"):
        assert sum(log.count(job) for log in logs) == 1, (job, logs)
    assert any("waiting to take over" in log for log in logs)
