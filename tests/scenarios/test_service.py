"""`serve`'s Slack connection: HTTP mode verifies every request's signature; each mode says what it lacks."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from connectors.slack import web_client
from groundswell.service import connect_bot
from groundswell.settings import ConfigError, Settings, SlackConfig, load_config
from groundswell.wiring import build_engine
from tests.fakes.slack import FakeSlack

SECRET = "http-mode-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(port: int, body: str, signature: str | None = None) -> tuple[int, str]:
    stamp = str(int(time.time()))
    signature = signature or SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    request = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "X-Slack-Signature": signature, "X-Slack-Request-Timestamp": stamp})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


def test_http_mode_answers_signed_slash_commands_and_refuses_forged_ones(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    port = free_port()
    config = load_config().model_copy(update={"slack": SlackConfig(mode="http", port=port)})
    with FakeSlack() as fake:
        fake.add_user("UJANE", "jane", "Jane Park", "jane@vendor.example")
        connect_bot(engine=build_engine(f"sqlite:///{tmp_path / 'gs.db'}"), client=web_client("xoxb-test", fake.url),
                    config=config, settings=Settings())
        wait_for(port)
        body = urlencode({"command": "/groundswell", "text": "help", "user_id": "UJANE", "user_name": "jane",
                          "channel_id": "C1", "team_id": "T0VENDOR", "trigger_id": "1.2.3",
                          "response_url": "https://hooks.slack.invalid/commands/1"})
        status, answer = post(port, body)
        assert status == 200 and "/groundswell" in answer and "assign" in answer.lower()
        forged_status, _ = post(port, body, signature="v0=" + "0" * 64)
        assert forged_status == 401


def test_each_mode_says_what_it_lacks(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'gs.db'}")
    client = web_client("xoxb-test", "http://127.0.0.1:9/")
    base = load_config()
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        connect_bot(engine=engine, client=client, config=base, settings=Settings())
    http = base.model_copy(update={"slack": SlackConfig(mode="http")})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        connect_bot(engine=engine, client=client, config=http, settings=Settings())
