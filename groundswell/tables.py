"""The database schema: one SQLModel table per stored record.

Base classes hold each field list once; `table=True` subclasses add keys.
Unique keys make re-ingesting a no-op: messages are unique on (source,
source_id), signals on a fingerprint of what they say and where.  The schema
is created and changed only by the Alembic migrations in `migrations/`;
`tests/groundswell/test_store.py` checks the two agree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


# JSONB on PostgreSQL: it has equality, which upserts need to tell "changed" from "same".
JSONType = JSON().with_variant(JSONB(), "postgresql")


def _utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    return Field(default=None, sa_column=column) if nullable else Field(sa_column=column)


class AccountBase(SQLModel):
    account_id: str = Field(primary_key=True, max_length=128)
    name: str
    mrr: float = 0.0
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    slack_channels: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    csm: Optional[str] = None
    segment: Optional[str] = None
    plan: Optional[str] = None
    renewal_date: Optional[date] = None
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class AccountRow(AccountBase, table=True):
    __tablename__ = "account"


class ContactRow(SQLModel, table=True):
    __tablename__ = "contact"
    email: str = Field(primary_key=True, max_length=320)
    name: str
    title: Optional[str] = None
    account_id: Optional[str] = Field(default=None, foreign_key="account.account_id", index=True)
    slack_user_id: Optional[str] = Field(default=None, index=True)
    role: Optional[str] = None


class RevenueRow(SQLModel, table=True):
    __tablename__ = "revenue"
    account_id: str = Field(primary_key=True, max_length=128)
    month: str = Field(primary_key=True, max_length=7)
    mrr: float


class MessageRow(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("source", "source_id", name="uq_message_source"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    source_id: str = Field(max_length=512)
    account_id: str = Field(foreign_key="account.account_id", index=True)
    author: str
    author_email: Optional[str] = None
    author_side: str = Field(max_length=16)
    ts: datetime = _utc_column(index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    quoted: str = Field(default="", sa_column=Column(Text, nullable=False))
    thread_id: Optional[str] = Field(default=None, index=True)
    channel: Optional[str] = None
    participants: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    url: Optional[str] = None
    analyzed_at: Optional[datetime] = _utc_column(nullable=True, index=True)


class SignalRow(SQLModel, table=True):
    __tablename__ = "signal"
    id: Optional[int] = Field(default=None, primary_key=True)
    fingerprint: str = Field(unique=True, max_length=64)
    type: str = Field(index=True, max_length=64)
    account_id: str = Field(foreign_key="account.account_id", index=True)
    message_id: Optional[int] = Field(default=None, foreign_key="message.id", index=True)
    source: Optional[str] = None
    source_message_id: Optional[str] = None
    confidence: float
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    ts: datetime = _utc_column(index=True)
    author: Optional[str] = None
    agent: str
    backend: str
    derived: bool = False
    owner: Optional[str] = None
    due: Optional[date] = None
    created_at: datetime = _utc_column()


class TaskRow(SQLModel, table=True):
    """Work someone owns: opened from an alert when a person takes it on, closed with "done".

    `owner` is a Slack user id (or the CSM's email before anyone claims it);
    `owner_name` is how people read it.
    """

    __tablename__ = "task"
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    account_id: str = Field(foreign_key="account.account_id", index=True)
    signal_id: Optional[int] = Field(default=None, foreign_key="signal.id")
    alert_id: Optional[int] = Field(default=None, foreign_key="alert.id", index=True)
    title: str
    owner: Optional[str] = None
    owner_name: Optional[str] = None
    due: Optional[date] = None
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = _utc_column()
    closed_at: Optional[datetime] = _utc_column(nullable=True)


class AlertRow(SQLModel, table=True):
    """One cause (an action's id) told to a CSM, once.

    `priority` is "urgent" (its own message) or "summary" (a line of the
    CSM's daily summary); `status` is "open", "claimed", "snoozed" (until
    `snoozed_until`), "dismissed" (not a signal, or the wrong type) or "done".
    `payload` keeps what was shown: the account entry, the action and its
    signals, so the bot can act on an alert without re-scoring.
    """

    __tablename__ = "alert"
    id: Optional[int] = Field(default=None, primary_key=True)
    cause_key: str = Field(unique=True, max_length=128)
    account_id: str = Field(foreign_key="account.account_id", index=True)
    kind: str = Field(max_length=32)
    csm: Optional[str] = None
    priority: str = Field(default="urgent", max_length=16)
    channel: Optional[str] = None
    message_ts: Optional[str] = Field(default=None, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default="pending", max_length=16)
    snoozed_until: Optional[date] = None
    created_at: datetime = _utc_column()
    posted_at: Optional[datetime] = _utc_column(nullable=True)


class SyncStateRow(SQLModel, table=True):
    __tablename__ = "sync_state"
    source: str = Field(primary_key=True, max_length=128)
    cursor: Optional[str] = None
    last_sync_at: Optional[datetime] = _utc_column(nullable=True)
    last_error: Optional[str] = None
    counts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))


class FeedbackRow(SQLModel, table=True):
    """A person's verdict on a signal (from the Slack bot): training data for `train --with-feedback`.

    `verdict` is "confirmed", "not_signal" or "wrong"; for "wrong", `corrected_type`
    is the type the message should have had.
    """

    __tablename__ = "feedback"
    id: Optional[int] = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    signal_type: str = Field(max_length=64)
    verdict: str = Field(max_length=16)
    corrected_type: Optional[str] = Field(default=None, max_length=64)
    author: Optional[str] = None
    created_at: datetime = _utc_column()


class RevisionRow(SQLModel, table=True):
    """A counter bumped by every store write that can change a report (see `store.revision`)."""

    __tablename__ = "revision"
    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class ReportSnapshotRow(SQLModel, table=True):
    """A scored portfolio as of a date, kept while the data and config it came from are unchanged.

    `inputs` is a hash of the data revision, the config and the scorer's code;
    `portfolio` and `actions` (the report's top actions) are JSON text, and
    each account's part of the report is a `ReportAccountRow`, so one account
    can be read without parsing the whole portfolio.
    """

    __tablename__ = "report_snapshot"
    as_of: date = Field(primary_key=True)
    inputs: str = Field(max_length=64)
    portfolio: str = Field(sa_column=Column(Text, nullable=False))
    actions: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc_column()


class ReportAccountRow(SQLModel, table=True):
    """One account's entry in a report snapshot, as JSON text, with how its score was built and all its actions.

    The explanation is kept apart from the entry because the whole-portfolio
    JSON leaves it out (it would double the output); `position` is the
    account's place in the report.
    """

    __tablename__ = "report_account"
    __table_args__ = (Index("ix_report_account_position", "as_of", "position"),)
    as_of: date = Field(primary_key=True)
    account_id: str = Field(primary_key=True, max_length=128)
    position: int
    body: str = Field(sa_column=Column(Text, nullable=False))
    actions: str = Field(sa_column=Column(Text, nullable=False))
    explanation: str = Field(sa_column=Column(Text, nullable=False, server_default="{}"))


class LLMCacheRow(SQLModel, table=True):
    """An LLM's validated answer for one prompt (keyed by a hash of model, prompt version and masked text)."""

    __tablename__ = "llm_cache"
    key: str = Field(primary_key=True, max_length=64)
    model: str = Field(max_length=128)
    value: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = _utc_column()


class LLMUsageRow(SQLModel, table=True):
    """What one run of the LLM backend cost: requests, cache hits, tokens and the estimated price."""

    __tablename__ = "llm_usage"
    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = _utc_column()
    model: str = Field(max_length=128)
    screened: int = 0
    sent: int = 0
    requests: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
