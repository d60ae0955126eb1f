"""Reading and writing the database: engines, migrations and keyword-only CRUD.

Every write is idempotent: accounts, contacts and revenue are upserted by
their keys, messages and signals are inserted with ON CONFLICT DO NOTHING
on their unique keys, so the same import twice stores nothing new.  Bulk
statements go through SQLAlchemy Core because ingest and analysis handle
hundreds of thousands of rows.  Callers own the transaction (`Session`),
which is what makes an import all-or-nothing.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, Sequence

from sqlalchemy import delete, event, func, inspect, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from connectors.base import Message, to_utc
from groundswell.revision import bump as bump_revision
from groundswell.tables import (AccountRow, AlertRow, ContactRow, FeedbackRow, MessageRow, ReportAccountRow,
                                ReportSnapshotRow, RevenueRow, SignalRow, SyncStateRow, TaskRow)
from signals.portfolio import Account, Contact, Signal

MIGRATIONS = Path(__file__).with_name("migrations")
TABLES = {"accounts": AccountRow, "contacts": ContactRow, "revenue": RevenueRow, "messages": MessageRow,
          "signals": SignalRow, "tasks": TaskRow, "alerts": AlertRow, "sync_state": SyncStateRow,
          "feedback": FeedbackRow}
FEEDBACK_VERDICTS = ("confirmed", "not_signal", "wrong")


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and cross-thread use."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is current).

    Every command opens the database through here, so the current case is
    checked with one query and alembic (a third of a second to import) is
    loaded only when there is something to upgrade.
    """
    if schema_version(engine) == head_revision():
        return
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def head_revision() -> str:
    """The newest migration's id: migration files are named "NNNN_<what>.py" with revision "NNNN"."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def schema_version(engine: Engine) -> str | None:
    """The database's migration id, or None for a database Groundswell has not set up."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def drop_schema(engine: Engine) -> None:
    """Drop every Groundswell table and the migration marker: for the demo's and tests' own databases only."""
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def dialect_insert(session: Session, model: type) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def _affected(session: Session, stmt: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Rows an INSERT … ON CONFLICT really wrote, counted from RETURNING.

    rowcount is unreliable for multi-row inserts on psycopg.  The statement
    runs as executemany on the Core connection, which SQLAlchemy batches into
    multi-row INSERTs from one cached compilation — far cheaper than compiling
    a fresh VALUES clause per chunk.
    """
    written = len(session.connection().execute(stmt, list(rows)).all())
    if written:
        bump_revision(session)
    return written


def _upsert(session: Session, model: type, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """Insert or update by key; returns how many rows were new or actually changed."""
    if not rows:
        return 0
    table = model.__table__
    stmt = dialect_insert(session, table)
    columns = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    differs = or_(*[table.c[c].is_distinct_from(stmt.excluded[c]) for c in columns])
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=columns, where=differs)
    return _affected(session, stmt.returning(table.c[keys[0]]), rows)


# -- accounts, contacts, revenue --------------------------------------------
def upsert_accounts(session: Session, *, accounts: Iterable[Account]) -> int:
    rows = [{"account_id": a.account_id, "name": a.name, "mrr": a.mrr, "domains": list(a.domains),
             "slack_channels": list(a.slack_channels), "csm": a.csm, "segment": a.segment, "plan": a.plan,
             "renewal_date": a.renewal_date, "attributes": dict(a.attributes)} for a in accounts]
    return _upsert(session, AccountRow, rows, ["account_id"])


def upsert_contacts(session: Session, *, contacts: Iterable[Contact]) -> int:
    rows = [{"email": c.email.lower(), "name": c.name, "title": c.title, "account_id": c.account_id,
             "slack_user_id": c.slack_user_id, "role": c.role} for c in contacts]
    return _upsert(session, ContactRow, rows, ["email"])


def upsert_revenue(session: Session, *, rows: Iterable[tuple[str, str, float]]) -> int:
    data = [{"account_id": a, "month": m, "mrr": v} for a, m, v in rows]
    return _upsert(session, RevenueRow, data, ["account_id", "month"])


def load_accounts(session: Session) -> list[Account]:
    t = AccountRow.__table__.c
    query = select(t.account_id, t.name, t.mrr, t.domains, t.slack_channels, t.csm, t.segment, t.plan,
                   t.renewal_date, t.attributes).order_by(t.account_id)
    return [Account(account_id=r.account_id, name=r.name, mrr=r.mrr, domains=tuple(r.domains),
                    slack_channels=tuple(r.slack_channels), csm=r.csm, segment=r.segment, plan=r.plan,
                    renewal_date=r.renewal_date, attributes=dict(r.attributes))
            for r in session.connection().execute(query)]


def account_field(session: Session, *, field: str) -> dict[str, Any]:
    """One column of every account (e.g. segment), by account id: cheaper than loading whole accounts."""
    t = AccountRow.__table__.c
    return dict(session.connection().execute(select(t.account_id, t[field])).all())


def load_contacts(session: Session) -> list[Contact]:
    return [Contact(email=r.email, name=r.name, title=r.title, account_id=r.account_id,
                    slack_user_id=r.slack_user_id, role=r.role)
            for r in session.scalars(select(ContactRow).order_by(ContactRow.email))]


def load_revenue(session: Session, *, months: Collection[str] | None = None) -> dict[str, dict[str, float]]:
    """MRR by account and "YYYY-MM"; only the given months when `months` is passed (NRR needs two)."""
    t = RevenueRow.__table__.c
    query = select(t.account_id, t.month, t.mrr)
    if months is not None:
        query = query.where(t.month.in_(sorted(months)))
    history: dict[str, dict[str, float]] = defaultdict(dict)
    for account_id, month, mrr in session.connection().execute(query).all():
        history[account_id][month] = mrr
    return dict(history)


# -- messages ---------------------------------------------------------------
def insert_messages(session: Session, *, messages: Sequence[Message]) -> int:
    """Store resolved messages; ones already stored (same source and id) are left alone."""
    rows = [_message_row(m) for m in messages if m.account_id is not None]
    if not rows:
        return 0
    stmt = dialect_insert(session, MessageRow.__table__).on_conflict_do_nothing(index_elements=["source", "source_id"])
    return _affected(session, stmt.returning(MessageRow.__table__.c.id), rows)


def _message_row(m: Message) -> dict[str, Any]:
    return {"source": m.source, "source_id": m.source_id, "account_id": m.account_id, "author": m.author,
            "author_email": m.author_email, "author_side": m.author_side, "ts": m.ts, "text": m.text,
            "quoted": m.quoted, "thread_id": m.thread_id, "channel": m.channel,
            "participants": list(m.participants), "url": m.url, "analyzed_at": None}


def to_message(row: Any) -> Message:
    return Message(source=row.source, source_id=row.source_id, ts=to_utc(row.ts), author=row.author,
                   text=row.text, author_email=row.author_email, author_side=row.author_side,
                   account_id=row.account_id, quoted=row.quoted, thread_id=row.thread_id, channel=row.channel,
                   participants=tuple(row.participants or ()), url=row.url)


def unanalyzed_batches(session: Session, *, size: int = 2000) -> Iterator[list[tuple[int, Message]]]:
    """Messages not yet analysed, oldest id first, in batches (keyset pagination)."""
    table, last = MessageRow.__table__, 0
    while True:
        rows = session.connection().execute(select(table).where(table.c.analyzed_at.is_(None), table.c.id > last)
                                            .order_by(table.c.id).limit(size)).all()
        if not rows:
            return
        last = rows[-1].id
        yield [(r.id, to_message(r)) for r in rows]


def known_people(session: Session) -> list[tuple[str, str]]:
    """Distinct (author, email) pairs of stored messages, oldest first."""
    table = MessageRow.__table__
    query = (select(table.c.author, table.c.author_email).where(table.c.author_email.is_not(None))
             .group_by(table.c.author, table.c.author_email).order_by(func.min(table.c.id)))
    return [(a, e) for a, e in session.connection().execute(query)]


def pending_count(session: Session) -> int:
    """Messages stored but not yet analysed."""
    return session.scalar(select(func.count()).select_from(MessageRow).where(MessageRow.analyzed_at.is_(None))) or 0


def mark_analyzed(session: Session, *, ids: Sequence[int], at: datetime) -> None:
    table = MessageRow.__table__
    for start in range(0, len(ids), 900):  # under SQLite's bound-parameter limit
        chunk = ids[start:start + 900]
        session.connection().execute(update(table).where(table.c.id.in_(chunk)).values(analyzed_at=at))


def activity(session: Session, *, until: datetime,
             since: datetime | None = None) -> dict[str, list[tuple[datetime, str, str, str | None]]]:
    """Per account: (ts, author_side, author, thread_id) of its messages in (since, until], oldest first."""
    per_account: dict[str, list[tuple[datetime, str, str, str | None]]] = defaultdict(list)
    query = (select(MessageRow.account_id, MessageRow.ts, MessageRow.author_side, MessageRow.author,
                    MessageRow.thread_id).where(MessageRow.ts <= until).order_by(MessageRow.ts))
    if since is not None:
        query = query.where(MessageRow.ts > since)
    for account_id, ts, side, author, thread in session.execute(query):
        per_account[account_id].append((to_utc(ts), side, author, thread))
    return dict(per_account)


def customer_authors(session: Session, *, since: datetime, until: datetime,
                     account_id: str | None = None) -> dict[str, tuple[str, ...]]:
    """Per account: the customer-side people who wrote in (since, until], sorted (engaged contacts)."""
    t = MessageRow.__table__.c
    query = (select(t.account_id, t.author).distinct()
             .where(t.ts > since, t.ts <= until, t.author_side != "vendor", t.author.is_not(None)))
    if account_id:
        query = query.where(t.account_id == account_id)
    per_account: dict[str, set[str]] = defaultdict(set)
    for account, author in session.connection().execute(query):
        per_account[account].add(author)
    return {account: tuple(sorted(authors)) for account, authors in per_account.items()}


# -- signals ----------------------------------------------------------------
def fingerprint(signal: Signal) -> str:
    key = "\x1f".join([signal.account_id, signal.type, signal.source or "", signal.message_id or "",
                       signal.evidence if signal.message_id else ""])
    return hashlib.sha256(key.encode()).hexdigest()


def insert_signals(session: Session, *, signals: Sequence[Signal], message_ids: dict[str, int],
                   now: datetime) -> int:
    """Store signals once each; `message_ids` maps a message's source id to its row id."""
    rows = [_signal_row(s, message_ids, now) for s in signals]
    if not rows:
        return 0
    stmt = dialect_insert(session, SignalRow.__table__).on_conflict_do_nothing(index_elements=["fingerprint"])
    return _affected(session, stmt.returning(SignalRow.__table__.c.id), rows)


def _signal_row(s: Signal, message_ids: dict[str, int], now: datetime) -> dict[str, Any]:
    return {"fingerprint": fingerprint(s), "type": s.type, "account_id": s.account_id,
            "message_id": message_ids.get(f"{s.source}:{s.message_id}") if s.message_id else None,
            "source": s.source, "source_message_id": s.message_id, "confidence": round(s.confidence, 4),
            "evidence": s.evidence, "ts": s.ts, "author": s.author, "agent": s.agent, "backend": s.backend,
            "derived": s.message_id is None, "owner": s.owner, "due": s.due, "created_at": now}


def replace_derived_signals(session: Session, *, signals: Sequence[Signal], now: datetime) -> None:
    """Derived signals describe the state as of an analysis: drop the old set, store the new."""
    session.execute(delete(SignalRow).where(SignalRow.derived.is_(True)))
    bump_revision(session)
    insert_signals(session, signals=signals, message_ids={}, now=now)


def load_signals(session: Session, *, until: datetime, account_id: str | None = None) -> list[Signal]:
    """Signals up to `until`, oldest first, each with its message's permalink; those people rejected are left out."""
    # Core rows, not ORM objects: a large portfolio has hundreds of thousands of signals.
    t, m, f = SignalRow.__table__.c, MessageRow.__table__.c, FeedbackRow.__table__.c
    # A person said this message does not carry this signal ("not a signal", "wrong type"): it no longer counts.
    rejected = select(f.id).where(f.message_id == t.message_id, f.signal_type == t.type,
                                  f.verdict.in_(("not_signal", "wrong"))).exists()
    query = (select(t.type, t.account_id, t.confidence, t.evidence, t.ts, t.agent, t.backend, t.source,
                    t.source_message_id, t.author, t.owner, t.due, m.url)
             .select_from(SignalRow.__table__.outerjoin(MessageRow.__table__, m.id == t.message_id))
             .where(t.ts <= until, ~rejected).order_by(t.ts, t.id))
    if account_id:
        query = query.where(t.account_id == account_id)
    return [Signal(type=kind, account_id=account, confidence=confidence, evidence=evidence, ts=to_utc(ts), agent=agent,
                   backend=backend, source=source, message_id=message_id, author=author, owner=owner, due=due, url=url)
            for kind, account, confidence, evidence, ts, agent, backend, source, message_id, author, owner, due, url
            in session.connection().execute(query)]


# -- report snapshots -------------------------------------------------------
def load_snapshot(session: Session, *, as_of: date, inputs: str) -> tuple[str, str] | None:
    """(portfolio JSON, actions JSON) of the report stored for `as_of`, if it was built from these inputs."""
    t = ReportSnapshotRow.__table__.c
    row = session.connection().execute(select(t.portfolio, t.actions).where(t.as_of == as_of, t.inputs == inputs))
    found = row.first()
    return (found[0], found[1]) if found else None


def snapshot_accounts(session: Session, *, as_of: date, ids: Collection[str] | None = None,
                      first: int | None = None) -> list[tuple[int, str, str, str, str]]:
    """(position, account_id, entry, actions, explanation), the last three JSON, of a snapshot's accounts
    in report order: all of them, the `ids` given, or the `first` n."""
    t = ReportAccountRow.__table__.c
    query = (select(t.position, t.account_id, t.body, t.actions, t.explanation).where(t.as_of == as_of)
             .order_by(t.position))
    if ids is not None:
        query = query.where(t.account_id.in_(sorted(ids)))
    if first is not None:
        query = query.limit(first)
    return [tuple(row) for row in session.connection().execute(query).all()]


def snapshot_entries(session: Session, *, as_of: date) -> list[str]:
    """Every account's entry JSON of a snapshot, in report order (for printing the whole report)."""
    t = ReportAccountRow.__table__.c
    return list(session.connection().execute(select(t.body).where(t.as_of == as_of).order_by(t.position)).scalars())


def save_snapshot(session: Session, *, as_of: date, inputs: str, portfolio: str, actions: str,
                  accounts: Sequence[tuple[str, str, str, str]], at: datetime, keep: int = 8) -> None:
    """Replace the report stored for `as_of` (one per date) and drop all but the `keep` newest dates.

    `accounts` holds (account_id, entry, actions, explanation), the last three JSON, in report order.
    """
    connection = session.connection()
    snapshots, rows = ReportSnapshotRow.__table__, ReportAccountRow.__table__
    newest = select(snapshots.c.as_of).where(snapshots.c.as_of != as_of).order_by(snapshots.c.created_at.desc())
    stale = [as_of, *connection.execute(newest.offset(keep - 1)).scalars()]
    connection.execute(delete(rows).where(rows.c.as_of.in_(stale)))
    connection.execute(delete(snapshots).where(snapshots.c.as_of.in_(stale)))
    connection.execute(snapshots.insert().values(
        as_of=as_of, inputs=inputs, portfolio=portfolio, actions=actions, created_at=at))
    if accounts:
        connection.execute(rows.insert(), [
            {"as_of": as_of, "account_id": account_id, "position": i, "body": body, "actions": actions,
             "explanation": explanation} for i, (account_id, body, actions, explanation) in enumerate(accounts)])


# -- alerts and tasks -------------------------------------------------------
def alert_states(session: Session) -> dict[str, tuple[str, date | None]]:
    """Every alerted cause: (status, snoozed_until) by cause key."""
    t = AlertRow.__table__.c
    return {k: (status, until) for k, status, until
            in session.connection().execute(select(t.cause_key, t.status, t.snoozed_until)).all()}


def last_summaries(session: Session) -> dict[str, datetime]:
    """When each CSM's daily summary was last posted (one query for all of them)."""
    t = AlertRow.__table__.c
    query = (select(t.csm, func.max(t.posted_at)).where(t.priority == "summary", t.posted_at.is_not(None))
             .group_by(t.csm))
    return {csm or "": to_utc(at) for csm, at in session.connection().execute(query).all()}


def save_alert(session: Session, *, cause_key: str, account_id: str, kind: str, csm: str | None, priority: str,
               payload: dict[str, Any], channel: str, message_ts: str, at: datetime) -> AlertRow:
    """Record a posted alert; a snoozed cause told again reuses its row."""
    row = session.scalar(select(AlertRow).where(AlertRow.cause_key == cause_key)) or AlertRow(cause_key=cause_key)
    row.account_id, row.kind, row.csm, row.priority, row.payload = account_id, kind, csm, priority, payload
    row.channel, row.message_ts, row.status, row.snoozed_until = channel, message_ts, "open", None
    row.created_at = row.created_at or at
    row.posted_at = at
    session.add(row)
    session.flush()
    return row


def find_alert(session: Session, *, cause_key: str | None = None, channel: str | None = None,
               message_ts: str | None = None) -> AlertRow | None:
    """An alert by cause key, or by the Slack message it was posted as (a thread's parent)."""
    query = select(AlertRow)
    if cause_key is not None:
        query = query.where(AlertRow.cause_key == cause_key)
    if message_ts is not None:
        query = query.where(AlertRow.message_ts == message_ts, AlertRow.channel == channel)
    return session.scalars(query.order_by(AlertRow.id)).first()


def task_for_alert(session: Session, *, alert: AlertRow, at: datetime) -> TaskRow:
    """The alert's task, opened on first use: owned by the CSM until someone takes it."""
    task = session.scalar(select(TaskRow).where(TaskRow.key == alert.cause_key))
    if task is None:
        action = alert.payload.get("action", {})
        task = TaskRow(key=alert.cause_key, account_id=alert.account_id, alert_id=alert.id,
                       title=action.get("title") or f"{alert.kind} {alert.account_id}", owner=alert.csm,
                       owner_name=alert.csm, due=_date_or_none(action.get("due")), created_at=at)
        session.add(task)
        session.flush()
    return task


def load_tasks(session: Session, *, statuses: Collection[str] = ("open",), owner: str | None = None,
               closed_since: datetime | None = None) -> list[TaskRow]:
    """Tasks in these statuses (optionally one owner's, or closed since a time), soonest due first."""
    query = select(TaskRow).where(TaskRow.status.in_(list(statuses)))
    if owner is not None:
        query = query.where(TaskRow.owner == owner)
    if closed_since is not None:
        query = query.where(TaskRow.closed_at >= closed_since)
    return sorted(session.scalars(query), key=lambda t: (t.due is None, t.due or date.max, t.id))


def _date_or_none(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def to_utc_or_none(value: datetime | None) -> datetime | None:
    return to_utc(value) if value is not None else None


# -- feedback ---------------------------------------------------------------
def add_feedback(session: Session, *, source: str, source_id: str, signal_type: str, verdict: str,
                 corrected_type: str | None = None, author: str | None = None, at: datetime) -> int:
    """Record a person's verdict on a signal of a stored message (once); returns the feedback row's id."""
    if verdict not in FEEDBACK_VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(FEEDBACK_VERDICTS)}, not {verdict!r}")
    if (verdict == "wrong") != (corrected_type is not None):
        raise ValueError("a 'wrong' verdict needs the corrected type, and only it")
    message_id = session.scalar(select(MessageRow.id).where(MessageRow.source == source,
                                                           MessageRow.source_id == source_id))
    if message_id is None:
        raise LookupError(f"no stored message {source}:{source_id}")
    same = session.scalar(select(FeedbackRow.id).where(  # a double click says it once
        FeedbackRow.message_id == message_id, FeedbackRow.signal_type == signal_type, FeedbackRow.verdict == verdict,
        FeedbackRow.corrected_type.is_not_distinct_from(corrected_type), FeedbackRow.author.is_not_distinct_from(author)))
    if same is not None:
        return same
    row = FeedbackRow(message_id=message_id, signal_type=signal_type, verdict=verdict,
                      corrected_type=corrected_type, author=author, created_at=at)
    session.add(row)
    session.flush()
    bump_revision(session)  # a rejected signal stops counting in scores
    return row.id


def load_feedback(session: Session) -> list[tuple[Message, str, str, str | None]]:
    """Every verdict with its message, oldest first: (message, signal_type, verdict, corrected_type)."""
    query = (select(MessageRow, FeedbackRow.signal_type, FeedbackRow.verdict, FeedbackRow.corrected_type)
             .join(MessageRow, MessageRow.id == FeedbackRow.message_id).order_by(FeedbackRow.id))
    return [(to_message(row), t, v, c) for row, t, v, c in session.execute(query)]


# -- bookkeeping ------------------------------------------------------------
def counts(session: Session) -> dict[str, int]:
    return {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in TABLES.items()}


def status(session: Session) -> dict[str, Any]:
    """What `groundswell status` shows: row counts, each source's last sync, alerts by status, open tasks."""
    from groundswell.llm_store import llm_usage  # here, not at the top: llm_store builds on this module
    alerts = AlertRow.__table__.c
    by_status = dict(session.connection().execute(select(alerts.status, func.count()).group_by(alerts.status)).all())
    return {"counts": counts(session),
            "sources": [(r.source, to_utc(r.last_sync_at), r.last_error, dict(r.counts or {}))
                        for r in session.scalars(select(SyncStateRow).order_by(SyncStateRow.source))],
            "alerts": by_status, "llm": llm_usage(session),
            "open_tasks": session.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.status == "open"))}


def record_sync(session: Session, *, source: str, at: datetime, counts: dict[str, Any],
                cursor: str | None = None, error: str | None = None) -> None:
    row = session.get(SyncStateRow, source) or SyncStateRow(source=source)
    row.last_sync_at, row.last_error, row.counts = at, error, dict(counts)
    row.cursor = cursor if cursor is not None else row.cursor
    session.add(row)
