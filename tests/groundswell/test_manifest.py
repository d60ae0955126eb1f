"""The Slack app manifest in config/ asks for what the bot and the connector use, and nothing is missing."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((REPO / "config" / "slack-manifest.yml").read_text())
# Web API methods the code calls -> the bot scope each needs.
# Called as client.chat_postMessage(...) or through the connector's _call("conversations.history", ...).
SCOPES = {"conversations.history": "channels:history", "conversations.replies": "channels:history",
          "conversations.list": "channels:read", "conversations.info": "channels:read",
          "chat.postMessage": "chat:write", "chat.postEphemeral": "chat:write", "users.lookupByEmail": "users:read.email",
          "users.list": "users:read", "users.info": "users:read"}


def test_the_manifest_has_the_slash_command_events_and_socket_mode_the_bot_listens_for() -> None:
    bot = (REPO / "groundswell" / "delivery" / "bot.py").read_text()
    commands = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert commands == set(re.findall(r'\.command\("(/[a-z-]+)"\)', bot)) == {"/groundswell"}
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert "app_home_opened" in events and {"message.channels", "message.im"} <= events
    assert '"app_home_opened"' in bot and '"message"' in bot
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] and MANIFEST["settings"]["socket_mode_enabled"]
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"]


def test_every_web_api_method_the_code_calls_has_its_scope() -> None:
    code = "".join(p.read_text() for p in [REPO / "connectors" / "slack.py", *(REPO / "groundswell").rglob("*.py")])
    called = {m for m in SCOPES if re.search(rf"\.{m.replace('.', '_')}\(|\"{re.escape(m)}\"", code)}
    assert {"conversations.history", "conversations.replies", "chat.postMessage", "users.lookupByEmail"} <= called
    granted = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {SCOPES[m] for m in called} <= granted
