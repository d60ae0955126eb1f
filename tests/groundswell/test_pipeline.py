"""Ingest and analyse end to end, on SQLite and PostgreSQL, through the real connectors.

The bundled demo company is a realistic input in every format; small files
written here cover the failure cases.
"""

from __future__ import annotations

import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session

from connectors.base import FatalSourceError
from groundswell import pipeline, store
from groundswell.report import build_report, end_of_day
from groundswell.settings import load_config
from groundswell.wiring import build_agents, build_classifier
from groundswell.demo import DEMO_AS_OF
from groundswell.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "groundswell" / "demo_company"
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def analyse(engine):
    classifier = build_classifier("local", Settings())
    agents, multithread = build_agents(classifier, load_config())
    return pipeline.analyze(engine, classifier=classifier, agents=agents, multithread=multithread,
                            as_of=end_of_day(DEMO_AS_OF), now=NOW)


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return store.counts(session)


def test_ingesting_the_same_files_twice_stores_nothing_new(engine) -> None:
    first = pipeline.ingest(engine, paths=[DEMO])
    after_first = counts(engine)
    assert first.inserted == after_first["messages"] > 500
    assert after_first["accounts"] >= 25 and after_first["contacts"] > 25 and after_first["revenue"] > 200
    second = pipeline.ingest(engine, paths=[DEMO])
    assert second.inserted == 0 and second.accounts == 0 and second.contacts == 0 and second.revenue == 0
    assert second.duplicates == first.inserted + first.duplicates
    assert counts(engine) == after_first


def test_unknown_accounts_are_counted_and_reported_not_stored(engine) -> None:
    report = pipeline.ingest(engine, paths=[DEMO])
    assert sum(report.unresolved.values()) > 0
    summary = report.unknown_summary()
    assert any("unknown domain" in line for line in summary)
    assert report.internal_summary() == "48 messages in your own team's channels were left out: #cs-team (48)"
    # The only messages neither stored nor unresolved: threads that sit in two CSMs' mailboxes.
    assert report.duplicates == 3


def test_analysis_runs_once_per_message_and_signals_quote_their_messages(engine) -> None:
    pipeline.ingest(engine, paths=[DEMO])
    first = analyse(engine)
    assert first.messages == counts(engine)["messages"] and first.signals > 0
    again = analyse(engine)
    assert again.messages == 0 and again.signals == 0
    with Session(engine) as session:
        signals = store.load_signals(session, until=end_of_day(DEMO_AS_OF))
        texts = {(m.source, m.source_id): m.text for rows in store.unanalyzed_batches(session) for _, m in rows}
    assert texts == {}  # everything analysed
    quoted = [s for s in signals if s.message_id]
    assert quoted and all(s.evidence for s in quoted)
    derived = {s.type for s in signals if not s.message_id}
    assert derived <= {"engagement_drop", "single_threaded"} and derived


def test_report_matches_the_interface_shape(engine) -> None:
    pipeline.ingest(engine, paths=[DEMO])
    analyse(engine)
    with Session(engine) as session:
        report = build_report(session, as_of=DEMO_AS_OF, config=load_config())
    assert set(report) == {"as_of", "portfolio", "accounts", "actions"}
    assert {"accounts", "start_mrr", "projected_churn_mrr", "projected_contraction_mrr", "projected_expansion_mrr",
            "projected_nrr", "projected_grr"} <= set(report["portfolio"])
    account = report["accounts"][0]
    assert {"account_id", "name", "mrr", "renewal_date", "csm", "risk_score", "expansion_score", "projected",
            "signals"} <= set(account)
    assert all(0 <= a["risk_score"] <= 1 and 0 <= a["expansion_score"] <= 1 for a in report["accounts"])
    signal = next(s for a in report["accounts"] for s in a["signals"] if s["message_id"])
    assert {"type", "confidence", "evidence", "source", "message_id", "ts", "author"} <= set(signal)
    action = report["actions"][0]
    assert {"rank", "account_id", "kind", "title", "why", "impact_mrr", "owner", "due", "signal_types"} <= set(action)
    assert [a["rank"] for a in report["actions"]] == list(range(1, len(report["actions"]) + 1))


def test_a_broken_file_is_skipped_and_reported_while_the_rest_loads(engine, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "accounts.csv").write_text("account_id,name,mrr,domains\nA,Acme,100,acme.io\n")
    (folder / "good.eml").write_text(EML.format(mid="1", body="hello there"))
    (folder / "bad.vtt").write_text("00:00.000 --> 00:01.000\nDana: hi\n")
    report = pipeline.ingest(engine, paths=[folder])
    assert report.inserted == 1
    assert [s.where for s in report.skipped] and "bad.vtt" in str(report.skipped[0])


def test_a_failure_halfway_leaves_the_database_as_it_was(engine, tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "accounts.csv").write_text("account_id,name,mrr,domains\nA,Acme,100,acme.io\n")
    (good / "a.eml").write_text(EML.format(mid="1", body="hello there"))
    broken = tmp_path / "export.zip"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("users.json", "[]")
        z.writestr("channels.json", "[]")
    broken.write_bytes(broken.read_bytes()[:-30])
    with pytest.raises(FatalSourceError) as info:
        pipeline.ingest(engine, paths=[good, broken])
    assert "\n" not in str(info.value)
    assert counts(engine)["messages"] == 0 and counts(engine)["accounts"] == 0


def test_a_contact_of_an_unknown_account_is_refused(engine, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,mrr\nA,Acme,100\n")
    (tmp_path / "contacts.csv").write_text("email,name,account_id\ndana@acme.io,Dana,B\n")
    with pytest.raises(FatalSourceError, match="account_id 'B'"):
        pipeline.ingest(engine, paths=[tmp_path])
    assert counts(engine)["accounts"] == 0


def test_nothing_recognisable_is_an_error(engine, tmp_path: Path) -> None:
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01")
    with pytest.raises(FatalSourceError, match="nothing to ingest"):
        pipeline.ingest(engine, paths=[tmp_path])


EML = """From: Dana Kim <dana@acme.io>
To: Maya Ortiz <maya@vendor.io>
Subject: Quick question
Date: Tue, 01 Sep 2026 10:00:00 +0000
Message-ID: <{mid}@acme.io>

{body}
"""


SLACK_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "public" / "format_samples" / "slack_export_real_hfaran" / "testarchive.zip"


@pytest.mark.skipif(not SLACK_SAMPLE.exists(), reason="shared/ format samples not present beside the repo")
def test_connector_options_come_from_config(engine, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,mrr,slack_channels\nS,Sailor Co,100,traveling-sailor\n")
    report = pipeline.ingest(engine, paths=[SLACK_SAMPLE], accounts_csv=tmp_path / "accounts.csv",
                             options={"slack_export": {"permalink_base": "https://sailor.slack.com"}})
    assert report.inserted == 23
    with Session(engine) as session:
        [batch] = list(store.unanalyzed_batches(session))
    assert all(m.url.startswith("https://sailor.slack.com/archives/") for _, m in batch)
    with pytest.raises(FatalSourceError, match=r"config \[sources\] slack_export"):
        pipeline.ingest(engine, paths=[SLACK_SAMPLE], options={"slack_export": {"nonsense": 1}})


def test_calls_place_speakers_who_wrote_before_even_in_a_later_import(engine, tmp_path: Path) -> None:
    (tmp_path / "accounts.csv").write_text("account_id,name,mrr,domains,csm\nA,Acme,100,acme.io,csm@vendor.io\n")
    vendor_mail = EML.replace("From: Dana Kim <dana@acme.io>", "From: Nina Brandt <nina@vendor.io>") \
                     .replace("To: Maya Ortiz <maya@vendor.io>", "To: Dana Kim <dana@acme.io>")
    (tmp_path / "nina.eml").write_text(vendor_mail.format(mid="n1", body="Proposal attached."))
    pipeline.ingest(engine, paths=[tmp_path])
    calls = tmp_path / "calls" / "A"
    calls.mkdir(parents=True)
    (calls / "2026-09-03 sync.txt").write_text("Nina Brandt: Thanks for making time.\nDana Kim: Sure.\n")
    pipeline.ingest(engine, paths=[tmp_path / "calls"])
    with Session(engine) as session:
        [batch] = list(store.unanalyzed_batches(session))
    sides = {m.author: m.author_side for _, m in batch if m.source == "call"}
    assert sides["Nina Brandt"] == "vendor"
