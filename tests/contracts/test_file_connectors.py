"""Each file connector against the shared contract, on input written in its real format."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.mbox import MboxConnector
from connectors.slack_export import SlackExportConnector
from connectors.transcripts import TranscriptConnector
from tests.contracts.connector_contract import ConnectorContract, when
from tools import exports

DANA = ("Dana Kim", "dana@acme.io")
MAYA = ("Maya Ortiz", "maya@vendor.io")


class TestSlackExportContract(ConnectorContract):
    connector_class = SlackExportConnector

    def make_input(self, tmp_path: Path) -> Path:
        users = [{"id": "UDANA", "name": "dana", "real_name": "Dana Kim", "profile": {"real_name": "Dana Kim", "email": DANA[1]}},
                 {"id": "UMAYA", "name": "maya", "real_name": "Maya Ortiz", "profile": {"real_name": "Maya Ortiz", "email": MAYA[1]}}]
        channels = [{"id": "C1", "name": "ext-acme", "members": ["UDANA", "UMAYA"]}]
        messages = {"ext-acme": [
            {"type": "message", "user": "UDANA", "text": "Morning! Is the export fixed?", "ts": exports.make_slack_ts(when(1, 9))},
            {"type": "message", "user": "UMAYA", "text": "Yes, shipped last night.", "ts": exports.make_slack_ts(when(1, 10))},
            {"type": "message", "user": "UDANA", "text": "Great, thanks <@UMAYA>", "ts": exports.make_slack_ts(when(2, 9))}]}
        exports.write_slack_export(tmp_path / "export", users=users, channels=channels, messages=messages,
                                   zip_path=tmp_path / "export.zip")
        return tmp_path / "export.zip"


class TestMboxContract(ConnectorContract):
    connector_class = MboxConnector

    def make_input(self, tmp_path: Path) -> Path:
        emails = [{"message_id": "<1@acme.io>", "date": when(1, 9), "from": DANA, "to": [MAYA], "subject": "Renewal",
                   "body": "Hi Maya,\n\nCan we talk renewal dates next week?\n\nBest,\nDana\n"},
                  {"message_id": "<2@vendor.io>", "date": when(2, 9), "from": MAYA, "to": [DANA], "subject": "Re: Renewal",
                   "in_reply_to": "<1@acme.io>", "body": "Hi Dana,\n\nSure, Tuesday works.\n\nMaya\n"}]
        exports.write_mbox(tmp_path / "box.mbox", emails)
        return tmp_path / "box.mbox"


class TestTranscriptContract(ConnectorContract):
    connector_class = TranscriptConnector

    def make_input(self, tmp_path: Path) -> Path:
        turns = [{"speaker": "Dana Kim", "start": 0.0, "end": 4.0, "text": "Thanks for joining."},
                 {"speaker": "Maya Ortiz", "start": 4.5, "end": 9.0, "text": "Happy to. Shall we start with the roadmap?"},
                 {"speaker": "Dana Kim", "start": 9.5, "end": 12.0, "text": "Yes please."}]
        path = tmp_path / "acme-sync.json"
        exports.write_transcript_json(path, title="Acme weekly sync", started_at=when(3, 15),
                                      participants=[{"name": n, "email": e} for n, e in (DANA, MAYA)], turns=turns)
        json.loads(path.read_text())
        return path
