"""Report snapshots: the stored report is the report, and any change to its inputs rebuilds it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from connectors.base import Message
from groundswell import revision, snapshots, store
from groundswell.report import build_report
from groundswell.settings import load_config
from signals.portfolio import Account

AS_OF = date(2026, 10, 31)
NOW = datetime(2026, 11, 1, 9, tzinfo=timezone.utc)


def test_the_stored_report_is_the_computed_report(demo_engine) -> None:
    config = load_config()
    with Session(demo_engine) as session:
        fresh = build_report(session, as_of=AS_OF, config=config)
        built = snapshots.current(session, as_of=AS_OF, config=config, now=NOW)
        assert store.load_snapshot(session, as_of=AS_OF, inputs=snapshots.inputs(session, config)) is not None
        read = snapshots.current(session, as_of=AS_OF, config=config, now=NOW)
        printed = json.loads(snapshots.as_json(session, read))
        whole = snapshots.as_report(session, read, limit=config.actions.limit)
    assert built == read
    assert fresh == whole
    # The printed whole-portfolio JSON leaves each account's explanation to `report --account`.
    assert printed == fresh | {"accounts": [{k: v for k, v in a.items() if k != "explanation"}
                                            for a in fresh["accounts"]]}
    assert len(fresh["actions"]) == config.actions.limit  # the demo has more actions than the report shows


def test_one_account_reads_as_if_computed_for_it_alone(demo_engine) -> None:
    config = load_config()
    with Session(demo_engine) as session:
        snapshot = snapshots.current(session, as_of=AS_OF, config=config, now=NOW)
        ids = [a["account_id"] for a in build_report(session, as_of=AS_OF, config=config)["accounts"]]
        # The tenth-riskiest account: its actions are not all among the portfolio's top ones.
        for account_id in (ids[0], ids[9], ids[-1]):
            fresh = build_report(session, as_of=AS_OF, config=config, account_id=account_id)
            assert snapshots.as_report(session, snapshot, limit=config.actions.limit, account_id=account_id) == fresh


def test_the_table_gets_the_riskiest_accounts_and_every_account_with_a_top_action(demo_engine) -> None:
    config = load_config()
    with Session(demo_engine) as session:
        snapshot = snapshots.current(session, as_of=AS_OF, config=config, now=NOW)
        whole = snapshots.as_report(session, snapshot, limit=config.actions.limit)
        top = snapshots.as_report(session, snapshot, limit=config.actions.limit, top=3)
    order = [a["account_id"] for a in whole["accounts"]]
    shown = [a["account_id"] for a in top["accounts"]]
    assert shown[:3] == order[:3]
    assert {x["account_id"] for x in whole["actions"]} <= set(shown)
    assert shown == sorted(shown, key=order.index) and len(shown) < len(order)


def test_a_write_or_a_config_change_rebuilds_the_report(demo_engine) -> None:
    config = load_config()
    with Session(demo_engine) as session:
        before = snapshots.current(session, as_of=AS_OF, config=config, now=NOW)
        key = snapshots.inputs(session, config)
        account = next(a for a in store.load_accounts(session) if a.account_id == "ACC-001")
        history = store.load_revenue(session)["ACC-001"]
        store.upsert_revenue(session, rows=[("ACC-001", "2026-10", history["2026-10"] * 3)])
        session.commit()
        assert snapshots.inputs(session, config) != key
        after = snapshots.current(session, as_of=AS_OF, config=config, now=NOW)
        mrr = {a["account_id"]: a["mrr"] for a in snapshots.as_report(session, after, limit=20)["accounts"]}
        assert mrr["ACC-001"] == pytest.approx(history["2026-10"] * 3)
        assert after.portfolio["start_mrr"] > before.portfolio["start_mrr"]
        tuned = config.model_copy(update={"scoring": config.scoring.model_copy(update={"half_life_days": 10})})
        assert snapshots.inputs(session, tuned) != snapshots.inputs(session, config)
        store.upsert_revenue(session, rows=[("ACC-001", "2026-10", history["2026-10"])])
        store.upsert_accounts(session, accounts=[account])
        session.commit()


def test_writes_that_can_change_a_report_bump_the_revision(engine) -> None:
    account = Account(account_id="A1", name="Acme", mrr=100.0)
    message = Message(source="slack", source_id="m1", account_id="A1", author="Ann", author_side="customer",
                      ts=datetime(2026, 10, 1, tzinfo=timezone.utc), text="hello", channel="acme")
    with Session(engine) as session:
        assert revision.revision(session) == 0
        store.upsert_accounts(session, accounts=[account])
        assert revision.revision(session) == 1
        store.upsert_accounts(session, accounts=[account])  # nothing changed: no bump
        store.upsert_revenue(session, rows=[("A1", "2026-10", 100.0)])
        store.insert_messages(session, messages=[message])
        store.insert_messages(session, messages=[message])  # already stored
        assert revision.revision(session) == 3
        store.upsert_accounts(session, accounts=[replace(account, mrr=120.0)])
        store.replace_derived_signals(session, signals=[], now=NOW)
        assert revision.revision(session) == 5
        session.rollback()  # the counter moves with the writes' own transaction
        assert revision.revision(session) == 0


def test_the_revision_reaches_other_sessions_when_the_writes_commit(engine) -> None:
    with Session(engine) as writer, Session(engine) as reader:
        store.upsert_accounts(writer, accounts=[Account(account_id="A1", name="Acme", mrr=100.0)])
        store.upsert_revenue(writer, rows=[("A1", "2026-10", 100.0)])
        assert revision.revision(writer) == 2
        assert revision.revision(reader) == 0  # not committed yet
        reader.rollback()
        writer.commit()
        assert revision.revision(reader) == 2 and revision.revision(writer) == 2


def test_an_open_import_does_not_block_other_writers(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises all writers with its own database lock")
    with Session(engine) as importing:
        store.upsert_accounts(importing, accounts=[Account(account_id="A1", name="Acme", mrr=100.0)])
        with Session(engine) as other:
            other.connection().exec_driver_sql("SET lock_timeout = '2s'")  # the counter row must not be locked
            store.upsert_accounts(other, accounts=[Account(account_id="B1", name="Beta", mrr=50.0)])
            other.commit()
        importing.commit()
    with Session(engine) as session:
        assert revision.revision(session) == 2


def test_snapshots_are_kept_per_date_and_pruned(engine) -> None:
    first = date(2026, 10, 1)
    with Session(engine) as session:
        for day in range(10):
            as_of = first + timedelta(days=day)
            store.save_snapshot(session, as_of=as_of, inputs=f"key{day}", portfolio="{}", actions="[]",
                                accounts=[("B", '{"id": "B"}', "[]", "{}"), ("A", '{"id": "A"}', '[{"rank": 1}]', "{}")],
                                at=NOW + timedelta(minutes=day))
        store.save_snapshot(session, as_of=first + timedelta(days=9), inputs="again", portfolio='{"n": 1}',
                            actions="[]", accounts=[("C", "{}", "[]", "{}")], at=NOW + timedelta(hours=1))
        session.commit()
        kept = [first + timedelta(days=d) for d in range(10)
                if store.load_snapshot(session, as_of=first + timedelta(days=d), inputs=f"key{d}") is not None]
        assert kept == [first + timedelta(days=d) for d in range(2, 9)]  # the 8th newest is the replaced day 9
        assert store.load_snapshot(session, as_of=first + timedelta(days=9), inputs="again") == ('{"n": 1}', "[]")
        assert store.load_snapshot(session, as_of=first + timedelta(days=9), inputs="key9") is None
        day = first + timedelta(days=5)
        assert [r[1] for r in store.snapshot_accounts(session, as_of=day)] == ["B", "A"]
        assert store.snapshot_accounts(session, as_of=day, ids=["A"]) == [(1, "A", '{"id": "A"}', '[{"rank": 1}]', "{}")]
        assert store.snapshot_entries(session, as_of=day) == ['{"id": "B"}', '{"id": "A"}']
        assert [r[1] for r in store.snapshot_accounts(session, as_of=day, first=1)] == ["B"]
