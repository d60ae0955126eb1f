"""The shipped demo company: current with its stories, and sane.

Regenerates `groundswell/demo_company/` from `tools/demo_stories/` into a
temporary folder and compares bytes, so a story edited without rebuilding (or
a builder that is not deterministic) fails here.  The other tests read the
shipped files with the standard library only: the connectors that will parse
them for real are tested elsewhere.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import mailbox
import re
import sys
from collections import defaultdict
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "groundswell" / "demo_company"
FIRST, LAST = date(2026, 8, 1), date(2026, 10, 31)
MONTHS = ["2025-11", "2025-12"] + [f"2026-{m:02d}" for m in range(1, 11)]


def load_builder():
    spec = importlib.util.spec_from_file_location("build_demo", ROOT / "tools" / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def read_csv(name: str) -> list[dict]:
    with open(DEMO / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mrr_by_account() -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for row in read_csv("revenue.csv"):
        table[row["account_id"]][row["month"]] = float(row["mrr"])
    return table


def test_rebuild_is_byte_identical_to_shipped(tmp_path):
    out = tmp_path / "demo_company"
    load_builder().build(out)
    built, shipped = files_under(out), files_under(DEMO)
    assert sorted(built) == sorted(shipped), "file lists differ: run `python tools/build_demo.py`"
    changed = [name for name in built if built[name] != shipped[name]]
    assert not changed, f"stale shipped files (run `python tools/build_demo.py`): {changed[:5]}"


def test_build_twice_gives_same_bytes(tmp_path):
    builder = load_builder()
    builder.build(tmp_path / "a")
    builder.build(tmp_path / "b")
    assert files_under(tmp_path / "a") == files_under(tmp_path / "b")


def test_accounts_cover_three_segments():
    accounts = read_csv("accounts.csv")
    assert len(accounts) >= 25
    assert {"SMB", "Mid-Market", "Enterprise"} <= {a["segment"] for a in accounts}
    assert len({a["account_id"] for a in accounts}) == len(accounts)
    for account in accounts:
        assert account["csm"].endswith("@brightloop.io")
        date.fromisoformat(account["renewal_date"])


def test_revenue_has_twelve_months_and_real_movements():
    table = mrr_by_account()
    assert sorted({m for months in table.values() for m in months}) == MONTHS
    churn = contraction = expansion = 0
    for months in table.values():
        series = [months.get(m) for m in MONTHS]
        for before, after in zip(series, series[1:]):
            if before and not after:
                churn += 1
            elif before and after and after < before:
                contraction += 1
            elif before and after and after > before:
                expansion += 1
    assert churn >= 1 and contraction >= 1 and expansion >= 1


def test_accounts_mrr_matches_last_revenue_month():
    table = mrr_by_account()
    for account in read_csv("accounts.csv"):
        assert float(account["mrr"]) == table[account["account_id"]].get("2026-10", 0.0)


def test_trailing_nrr_is_plausible():
    table = mrr_by_account()
    cohort = [months for months in table.values() if months.get(MONTHS[0])]
    start = sum(m[MONTHS[0]] for m in cohort)
    end = sum(m.get(MONTHS[-1], 0.0) for m in cohort)
    assert 0.95 <= end / start <= 1.08


def test_contacts_reference_known_accounts():
    account_ids = {a["account_id"] for a in read_csv("accounts.csv")}
    contacts = read_csv("contacts.csv")
    assert contacts
    for contact in contacts:
        assert contact["account_id"] == "" or contact["account_id"] in account_ids
        assert not contact["email"].endswith("@brightloop.io")


def test_slack_export_parses_and_messages_have_string_ts():
    slack = DEMO / "slack"
    users = json.loads((slack / "users.json").read_text(encoding="utf-8"))
    channels = json.loads((slack / "channels.json").read_text(encoding="utf-8"))
    user_ids = {u["id"] for u in users}
    assert any(c["name"] == "cs-team" for c in channels)
    day_files = sorted(slack.glob("*/*.json"))
    assert day_files
    for path in day_files:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.json", path.name)
        for message in json.loads(path.read_text(encoding="utf-8")):
            assert isinstance(message["ts"], str) and re.fullmatch(r"\d{10}\.\d{6}", message["ts"])
            assert message.get("user") in user_ids or message.get("subtype") == "bot_message"
            sent = datetime.fromtimestamp(float(message["ts"]), tz=timezone.utc).date()
            assert FIRST <= sent <= LAST and sent.isoformat() == path.stem


def test_slack_users_carry_emails():
    users = json.loads((DEMO / "slack" / "users.json").read_text(encoding="utf-8"))
    people = [u for u in users if not u.get("is_bot")]
    assert all("@" in u["profile"]["email"] for u in people)
    slack_ids = {u["id"] for u in people}
    for contact in read_csv("contacts.csv"):
        assert contact["slack_user_id"] == "" or contact["slack_user_id"] in slack_ids


@pytest.mark.parametrize("path", sorted((DEMO / "email").glob("*.mbox")), ids=lambda p: p.name)
def test_mbox_parses_with_message_id_and_date(path):
    box = mailbox.mbox(path)
    try:
        messages = list(box)
    finally:
        box.close()
    assert messages
    for message in messages:
        assert message["Message-ID"] and message["Date"]
        sent = parsedate_to_datetime(message["Date"]).astimezone(timezone.utc).date()
        assert FIRST <= sent <= LAST


def test_calls_come_in_every_format():
    names = [p.name for p in (DEMO / "calls").rglob("*") if p.is_file()]
    for suffix in (".vtt", ".srt", ".txt", ".json"):
        assert any(n.endswith(suffix) for n in names), suffix
    shapes = {("callTranscripts" in data, "utterances" in data)
              for data in (json.loads(p.read_text(encoding="utf-8")) for p in (DEMO / "calls").rglob("*.json"))}
    assert (True, False) in shapes and (False, True) in shapes
