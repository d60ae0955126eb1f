"""The records a customer portfolio is made of: accounts, contacts, signals.

Plain frozen dataclasses with no I/O, shared by connectors (which resolve
messages to accounts), agents (which emit signals) and the scorer (which
turns signals on an account into money).  The store maps them to tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    name: str
    mrr: float
    domains: tuple[str, ...] = ()
    slack_channels: tuple[str, ...] = ()
    csm: str | None = None
    segment: str | None = None
    plan: str | None = None
    renewal_date: date | None = None
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Contact:
    email: str
    name: str
    title: str | None = None
    account_id: str | None = None
    slack_user_id: str | None = None
    role: str | None = None

    @property
    def domain(self) -> str:
        return email_domain(self.email) or ""


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal on one account, with the words that triggered it.

    `message_id` is the source's stable id of the message quoted (None for
    derived signals such as `engagement_drop`, whose evidence is a summary of
    the account's message timing rather than a quote).  `url` is filled in when
    the store loads a signal whose message has a permalink.
    """

    type: str
    account_id: str
    confidence: float
    evidence: str
    ts: datetime
    agent: str
    backend: str
    source: str | None = None
    message_id: str | None = None
    author: str | None = None
    owner: str | None = None
    due: date | None = None
    url: str | None = None  # the source message's permalink, when the source has one


def email_domain(address: str | None) -> str | None:
    """The lower-cased domain of an email address, or None when there is none."""
    if not address or "@" not in address:
        return None
    domain = address.rsplit("@", 1)[1].strip().strip(">").lower()
    return domain or None
