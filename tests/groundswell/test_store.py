"""The store on SQLite and (when configured) PostgreSQL: migrations, idempotent writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel

from connectors.base import Message
from groundswell import store
from signals.portfolio import Account, Contact, Signal

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)
ACME = Account("ACC-1", "Acme", 5000.0, domains=("acme.io",), csm="maya@vendor.io", attributes={"industry": "Retail"})


def message(i: int, **kw) -> Message:
    base = dict(source="slack", source_id=f"C1:{i}", ts=T0 + timedelta(minutes=i), author="Dana Kim",
                text=f"message {i}", author_side="customer", account_id="ACC-1", participants=("dana@acme.io",))
    return Message(**{**base, **kw})


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_migrate_twice_is_a_no_op(engine) -> None:
    store.migrate(engine)
    with Session(engine) as session:
        assert store.counts(session)["messages"] == 0


def test_reingesting_messages_stores_nothing_new(engine) -> None:
    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=[ACME])
        assert store.insert_messages(session, messages=[message(i) for i in range(1200)]) == 1200
    with Session(engine) as session, session.begin():
        assert store.upsert_accounts(session, accounts=[ACME]) == 0
        assert store.insert_messages(session, messages=[message(i) for i in range(1300)]) == 100
    with Session(engine) as session:
        assert store.counts(session)["messages"] == 1300


def test_unresolved_messages_are_never_stored(engine) -> None:
    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=[ACME])
        assert store.insert_messages(session, messages=[message(1, account_id=None)]) == 0
        assert store.counts(session)["messages"] == 0


def test_upserts_update_changed_rows_only(engine) -> None:
    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=[ACME])
        store.upsert_contacts(session, contacts=[Contact("dana@acme.io", "Dana Kim", "VP Ops", "ACC-1")])
        store.upsert_revenue(session, rows=[("ACC-1", "2026-08", 4000.0), ("ACC-1", "2026-09", 5000.0)])
    changed = Account("ACC-1", "Acme Corp", 6000.0, domains=("acme.io",), csm="maya@vendor.io")
    with Session(engine) as session, session.begin():
        assert store.upsert_accounts(session, accounts=[changed]) == 1
        assert store.upsert_revenue(session, rows=[("ACC-1", "2026-08", 4000.0), ("ACC-1", "2026-10", 6000.0)]) == 1
    with Session(engine) as session:
        [acme] = store.load_accounts(session)
        assert (acme.name, acme.mrr, acme.attributes) == ("Acme Corp", 6000.0, {})
        assert store.load_revenue(session) == {"ACC-1": {"2026-08": 4000.0, "2026-09": 5000.0, "2026-10": 6000.0}}
        assert store.load_contacts(session)[0].title == "VP Ops"


def test_a_failed_transaction_leaves_nothing(engine) -> None:
    try:
        with Session(engine) as session, session.begin():
            store.upsert_accounts(session, accounts=[ACME])
            store.insert_messages(session, messages=[message(i) for i in range(10)])
            raise RuntimeError("crash mid-import")
    except RuntimeError:
        pass
    with Session(engine) as session:
        assert store.counts(session)["messages"] == 0
        assert store.counts(session)["accounts"] == 0


def test_messages_round_trip_with_utc_timestamps(engine) -> None:
    original = message(7, quoted="> earlier", thread_id="C1:0", url="https://slack.com/archives/C1/p7")
    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=[ACME])
        store.insert_messages(session, messages=[original])
    with Session(engine) as session:
        [[(_, loaded)]] = list(store.unanalyzed_batches(session))
    assert loaded == original
    assert loaded.ts.tzinfo is not None


def test_signals_are_stored_once_and_derived_ones_replaced(engine) -> None:
    churn = Signal("churn_intent", "ACC-1", 0.9, "we won't renew", T0, "risk", "local", source="slack",
                   message_id="C1:1", author="Dana Kim")
    drop = Signal("engagement_drop", "ACC-1", 0.8, "No customer message for 30 days", T0, "multithread", "derived")
    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=[ACME])
        store.insert_messages(session, messages=[message(1)])
        ids = {f"slack:C1:{i}": i for i in range(1, 2)}
        assert store.insert_signals(session, signals=[churn], message_ids=ids, now=T0) == 1
        assert store.insert_signals(session, signals=[churn], message_ids=ids, now=T0) == 0
        store.replace_derived_signals(session, signals=[drop], now=T0)
        store.replace_derived_signals(session, signals=[drop], now=T0)
    with Session(engine) as session:
        loaded = store.load_signals(session, until=T0)
    assert sorted(s.type for s in loaded) == ["churn_intent", "engagement_drop"]


def test_the_fast_schema_check_agrees_with_alembic(engine) -> None:
    config = AlembicConfig()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    assert store.head_revision() == ScriptDirectory.from_config(config).get_current_head()
    assert store.schema_version(engine) == store.head_revision()  # the fixture's engine is migrated
    store.drop_schema(engine)
    assert store.schema_version(engine) is None
    store.migrate(engine)
    assert store.schema_version(engine) == store.head_revision()
