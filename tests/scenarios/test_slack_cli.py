"""`groundswell sync`, `alerts`, `digest --post` and `status` as a user runs them, against a local fake Slack."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.slack import slack_ts
from tests.fakes.slack import FakeSlack
from tests.groundswell.test_cli import assert_one_line_error, run

# The renewal is always a year away: near a renewal, a single-threaded account is alerted on too (in the
# daily summary), and a fixed date here once made these tests fail as the calendar reached it.
RENEWAL = (datetime.now(timezone.utc) + timedelta(days=365)).date().isoformat()
ACCOUNTS = ("account_id,name,mrr,slack_channels,csm,segment,renewal_date\n"
            f"ACC-1,Acme Freight,24000,ext-acme,jane@vendor.example,Enterprise,{RENEWAL}\n")
CONFIG = """
[vendor]
domains = ["vendor.example"]
[alerts]
quiet_hours = []
summary_time = "00:00"
[digest]
channel = "C0DIGEST"
"""


@pytest.fixture
def slack():
    now = datetime.now(timezone.utc)
    with FakeSlack() as fake:
        fake.add_user("UJANE", "jane", "Jane Park", "jane@vendor.example")
        fake.add_user("UANN", "ann", "Ann Cho", "ann@acme.example", team="T0ACME")
        fake.add_channel("C0ACME", "ext-acme", is_ext_shared=True, members=["UJANE", "UANN"])
        fake.add_channel("C0DIGEST", "cs-leadership", members=["UJANE"])
        fake.add_message("C0ACME", slack_ts(now - timedelta(days=2)), "UANN",
                         "We're not planning to renew in January; the CFO wants to consolidate onto Flowstack.")
        yield fake


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "gs.toml").write_text(CONFIG)
    assert run("ingest", "--accounts", "accounts.csv", "--config", "gs.toml", cwd=tmp_path).returncode == 0
    return tmp_path


def slack_env(fake: FakeSlack, token: str = "xoxb-test") -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": token, "GROUNDSWELL_SLACK_API_URL": fake.url}


def gs(workdir: Path, fake: FakeSlack, *args: str, token: str = "xoxb-test"):
    return run(*args, "--config", "gs.toml", cwd=workdir, env=slack_env(fake, token))


def test_sync_alert_post_once_and_status(workdir: Path, slack: FakeSlack) -> None:
    synced = gs(workdir, slack, "sync")
    assert synced.returncode == 0, synced.stderr
    assert "1 new stored" in synced.stdout
    assert gs(workdir, slack, "analyze").returncode == 0
    due = json.loads(gs(workdir, slack, "alerts", "--format", "json").stdout)
    assert due["alerts"] and due["posted"] == 0 and slack.calls("chat.postMessage") == []
    assert {a["when"] for a in due["alerts"]} == {"now"}
    assert "not planning to renew" in due["alerts"][0]["signals"][0]["evidence"]

    posted = gs(workdir, slack, "alerts", "--post")
    assert posted.returncode == 0, posted.stderr
    assert "in 1 message" in posted.stdout and len(slack.calls("chat.postMessage")) == 1
    again = gs(workdir, slack, "alerts", "--post")
    assert "No alerts due" in again.stdout and len(slack.calls("chat.postMessage")) == 1

    assert "nothing new" in gs(workdir, slack, "sync").stdout
    status = gs(workdir, slack, "status").stdout
    assert "source slack" in status and "open" in status and "1 accounts" in status


def test_digest_posts_to_the_configured_channel(workdir: Path, slack: FakeSlack) -> None:
    gs(workdir, slack, "sync")
    gs(workdir, slack, "analyze")
    result = gs(workdir, slack, "digest", "--post", "--out", "digest.html")
    assert result.returncode == 0, result.stderr
    [post] = slack.calls("chat.postMessage")
    assert post["channel"] == "C0DIGEST" and "Projected NRR" in json.dumps(post["blocks"])
    assert (workdir / "digest.html").read_text().startswith("<!doctype html>")


def test_a_missing_or_refused_token_is_one_line_and_never_printed(workdir: Path, slack: FakeSlack) -> None:
    no_token = run("sync", "--source", "slack", "--config", "gs.toml", cwd=workdir,
                   env={"GROUNDSWELL_SLACK_API_URL": slack.url})
    assert_one_line_error(no_token, "SLACK_BOT_TOKEN is not set")
    assert_one_line_error(run("sync", "--config", "gs.toml", cwd=workdir), "no live source is configured")
    refused = gs(workdir, slack, "sync", token="xoxb-revoked-secret")
    assert_one_line_error(refused)
    assert "xoxb-revoked-secret" not in refused.stderr + refused.stdout
    gs(workdir, slack, "sync")
    gs(workdir, slack, "analyze")
    not_sent = gs(workdir, slack, "alerts", "--post", token="xoxb-revoked-secret")
    assert_one_line_error(not_sent, "refused the bot token")
    assert "xoxb-revoked-secret" not in not_sent.stderr
    still_due = json.loads(gs(workdir, slack, "alerts", "--format", "json").stdout)["alerts"]
    assert still_due and still_due[0]["account_id"] == "ACC-1"  # not recorded, so it is sent next time
    assert_one_line_error(gs(workdir, slack, "sync", "--source", "gmail"), "no Gmail source")


def test_serve_once_syncs_analyses_and_alerts(workdir: Path, slack: FakeSlack) -> None:
    result = gs(workdir, slack, "serve", "--once")
    assert result.returncode == 0, result.stderr
    assert "slack sync: 1 read, 1 new" in result.stderr and "alerts: " in result.stderr
    assert len(slack.calls("chat.postMessage")) == 1
    assert "xoxb-test" not in result.stderr
    gs(workdir, slack, "serve", "--once")
    assert len(slack.calls("chat.postMessage")) == 1
