"""`groundswell sync`: pull what is new from the live sources since the last sync.

A sync stores its messages and the source's new cursor in one transaction:
a crash mid-sync stores nothing and the next sync starts from the old
cursor, so nothing is lost and, messages being unique on their source id,
nothing is stored twice.  A sync that finds nothing new writes nothing at
all (not even its time), so an idle service does not churn the database or
invalidate the stored report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.directory import Directory
from connectors.slack import SlackConnector, SlackUsers
from groundswell import store
from groundswell.pipeline import store_messages, stored_directory
from groundswell.settings import GmailConfig, GongConfig, SlackConfig
from groundswell.tables import SyncStateRow


@dataclass
class SyncReport:
    source: str
    seen: int = 0
    stored: int = 0
    unresolved: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)


def sync_source(engine: Engine, *, name: str, connect: Callable[[str | None, Directory], Any],
                vendor_domains: Iterable[str], now: datetime) -> SyncReport:
    """Read one live source from its stored cursor; store its new messages and its new cursor together.

    `connect(cursor, directory)` builds the source's connector: anything with
    `fetch()`, `.cursor` and `.skipped`.
    """
    report = SyncReport(source=name)
    with Session(engine) as session, session.begin():
        state = session.get(SyncStateRow, name)
        before = state.cursor if state else None
        connector = connect(before, stored_directory(session, vendor_domains))
        report.seen, report.stored = store_messages(session, connector.fetch(), report.unresolved)
        report.skipped = [str(s) for s in connector.skipped]
        if report.stored or connector.cursor != before or report.skipped != _last_skips(state):
            store.record_sync(session, source=name, at=now, cursor=connector.cursor,
                              counts={"seen": report.seen, "stored": report.stored, "skipped": report.skipped},
                              error="; ".join(report.skipped) or None)
    return report


def sync_slack(engine: Engine, *, client: WebClient, config: SlackConfig, vendor_domains: Iterable[str],
               now: datetime, users: SlackUsers | None = None) -> SyncReport:
    """Read the watched Slack channels from the stored cursor; `users`, kept by the caller, spares
    re-reading users.list on every sync."""
    def connect(cursor: str | None, directory: Directory) -> SlackConnector:
        return SlackConnector(client=client, directory=directory, channels=config.channels, cursor=cursor,
                              page_size=config.page_size, pace_seconds=config.pace_seconds,
                              thread_lookback_days=config.thread_lookback_days, clock=lambda: now, users=users)
    return sync_source(engine, name="slack", connect=connect, vendor_domains=vendor_domains, now=now)


def sync_gmail(engine: Engine, *, service_factory: Callable[[str], Any], mailboxes: Iterable[str],
               config: GmailConfig, vendor_domains: Iterable[str], now: datetime) -> SyncReport:
    """Read the CSM mailboxes from their stored history ids (the first time, `first_sync_days` back)."""
    from connectors.gmail import GmailConnector

    def connect(cursor: str | None, directory: Directory) -> GmailConnector:
        return GmailConnector(service_factory=service_factory, mailboxes=list(mailboxes), directory=directory,
                              cursor=cursor, since=(now - timedelta(days=config.first_sync_days)).date(),
                              page_size=config.page_size)
    return sync_source(engine, name="gmail", connect=connect, vendor_domains=vendor_domains, now=now)


def sync_gong(engine: Engine, *, access_key: str, secret: str, config: GongConfig, vendor_domains: Iterable[str],
              now: datetime) -> SyncReport:
    """Read the calls recorded in Gong since the stored cursor, one message per speaker turn."""
    from connectors.gong import GongConnector

    def connect(cursor: str | None, directory: Directory) -> GongConnector:
        return GongConnector(base_url=config.api_url, access_key=access_key, secret=secret, directory=directory,
                             cursor=cursor, since=now - timedelta(days=config.first_sync_days),
                             offset_unit=config.offset_unit, page_size=config.page_size, clock=lambda: now)
    return sync_source(engine, name="gong", connect=connect, vendor_domains=vendor_domains, now=now)


def _last_skips(state: SyncStateRow | None) -> list[str]:
    return list((state.counts or {}).get("skipped", [])) if state else []

