"""`groundswell sync` over every configured source at once: Gmail (a token file) and Gong, against local fakes
speaking their real wire formats, then `status`."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.fakes.gmail import FakeGmail
from tests.fakes.gong import FakeGong
from tests.groundswell.test_cli import run

ACCOUNTS = ("account_id,name,mrr,domains,csm\n"
            "ACC-1,Acme Freight,24000,acme.example,carla@vendor.example\n")
CARLA, DANA = "carla@vendor.example", "dana@acme.example"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "gs.toml").write_text(f'[vendor]\ndomains = ["vendor.example"]\n[gmail]\nmailboxes = ["{CARLA}"]\n')
    (tmp_path / "token.json").write_text(json.dumps({
        "token": "ya29.carla", "refresh_token": "1//refresh", "client_id": "cid", "client_secret": "csecret",
        "token_uri": "http://127.0.0.1:9/token", "expiry": "2099-01-01T00:00:00Z"}))
    assert run("ingest", "--accounts", "accounts.csv", "--config", "gs.toml", cwd=tmp_path).returncode == 0
    return tmp_path


def test_sync_reads_gmail_and_gong_once_and_status_reports_both(workdir: Path) -> None:
    now = datetime.now(timezone.utc)
    with FakeGmail(tokens={"ya29.carla": CARLA}) as gmail, FakeGong() as gong:
        gmail.add_message(CARLA, "m1", from_=DANA, to=CARLA, subject="Renewal", date=now - timedelta(days=2),
                          text="We're evaluating Flowstack before the renewal.")
        gmail.add_message(CARLA, "m2", from_="newsletter@shop.example", to=CARLA, subject="Sale",
                          date=now - timedelta(days=1), text="50% off everything")
        gong.add_call("c1", started=now - timedelta(days=1), title="Acme QBR",
                      parties=[{"id": "p1", "speakerId": "s1", "name": "Dana Wu", "emailAddress": DANA,
                                "affiliation": "External"},
                               {"id": "p2", "speakerId": "s2", "name": "Carla Diaz", "emailAddress": CARLA,
                                "affiliation": "Internal"}],
                      transcript=[{"speakerId": "s1", "topic": "Renewal", "sentences": [
                                      {"start": 1000, "end": 4000, "text": "The CFO is scrutinising every line item."}]},
                                  {"speakerId": "s2", "topic": "Renewal", "sentences": [
                                      {"start": 5000, "end": 8000, "text": "I'll send the ROI numbers by Friday."}]}])
        env = {"GROUNDSWELL_GMAIL_API_URL": gmail.url, "GROUNDSWELL_GMAIL_TOKEN_FILE": str(workdir / "token.json"),
               "GONG_ACCESS_KEY": "gong-key", "GONG_ACCESS_KEY_SECRET": "gong-secret"}
        (workdir / "gs.toml").write_text((workdir / "gs.toml").read_text() + f'[gong]\napi_url = "{gong.url}"\n')
        first = run("sync", "--config", "gs.toml", cwd=workdir, env=env)
        assert first.returncode == 0, first.stderr
        assert "Gmail: 1 message read, 1 new stored" in first.stdout  # the newsletter never left Gmail's side
        assert "Gong: 2 messages read, 2 new stored" in first.stdout
        again = run("sync", "--config", "gs.toml", cwd=workdir, env=env)
        assert "Gmail: 0 messages read, 0 new stored, nothing new" in again.stdout
        assert "Gong: 0 messages read, 0 new stored, nothing new" in again.stdout
        status = run("status", "--config", "gs.toml", cwd=workdir, env=env).stdout
        assert "source gmail" in status and "source gong" in status and "3 messages" in status
        assert "gong-secret" not in first.stdout + first.stderr + again.stderr + status
