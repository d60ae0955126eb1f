"""The jobs: ingest files, analyse new messages, score the portfolio.

Each job takes its dependencies and `now`/`as_of` explicitly so it can run
from the CLI, the scheduler or a test alike.  Ingest is all-or-nothing: the
CSVs are read and validated before anything is written, and every write of
one ingest happens in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from agents.base import Agent, Classifier
from agents.multithread import MultithreadAgent
from connectors import csv_crm
from connectors.base import FatalSourceError, FileConnector, Message, Skip
from connectors.directory import Directory
from connectors.discovery import Discovery, Found, discover
from groundswell import store
from signals.portfolio import Account, Contact, Signal

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from groundswell.settings import Config

Progress = Callable[[int], None]
BATCH = 2000  # messages per insert
FETCH_ORDER = {"slack_export": 0, "mbox": 1, "transcripts": 2}
UNRESOLVED_KINDS = (  # (hint prefix, what, what to do)
    ("domain", "from unknown domain", "add the domain to accounts.csv to include them"),
    ("channel", "in unmapped Slack channel", "add the channel to slack_channels in accounts.csv"),
    ("freemail", "from personal email domain", "add those people to contacts.csv with their account_id"),
    ("call", "in call with no known participant", "put the file in a folder named by its account_id"),
    ("no", "with no customer address", "only your own staff wrote them"),
)


@dataclass
class IngestReport:
    inserted: int = 0
    seen: int = 0
    accounts: int = 0
    contacts: int = 0
    revenue: int = 0
    by_source: Counter = field(default_factory=Counter)
    unresolved: Counter = field(default_factory=Counter)  # hint ("domain x.io") -> messages
    skipped: list[Skip] = field(default_factory=list)
    noise: Counter = field(default_factory=Counter)
    unrecognised: list[Path] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        """Messages that matched an account but were stored already."""
        return self.seen - self.inserted - sum(self.unresolved.values())

    def internal_summary(self) -> str | None:
        """Messages in the vendor's own channels: expected, not stored, worth a mention."""
        hits = {h.split(" ", 1)[1]: n for h, n in self.unresolved.items() if h.startswith("internal ")}
        if not hits:
            return None
        named = ", ".join(f"{k} ({n})" for k, n in sorted(hits.items(), key=lambda kv: (-kv[1], kv[0])))
        return f"{sum(hits.values())} messages in your own team's channels were left out: {named}"

    def unknown_summary(self) -> list[str]:
        """'37 messages from 4 unknown domains: a.io (20), … — what to do', one line per kind of miss."""
        lines = []
        for kind, label, remedy in UNRESOLVED_KINDS:
            hits = {h.split(" ", 1)[-1]: n for h, n in self.unresolved.items() if h.split(" ", 1)[0] == kind}
            if not hits:
                continue
            total, top = sum(hits.values()), sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
            named = ", ".join(f"{k} ({n})" for k, n in top[:5]) + (", …" if len(top) > 5 else "")
            what = f"{label}{'s' if len(hits) != 1 else ''}: {named}" if kind != "no" else label
            lines.append(f"{total} message{'s' if total != 1 else ''} {what} — {remedy}")
        return lines


def ingest(engine: Engine, *, paths: Sequence[Path], accounts_csv: Path | None = None,
           contacts_csv: Path | None = None, revenue_csv: Path | None = None,
           vendor_domains: Iterable[str] = (), options: dict[str, dict] | None = None,
           progress: Progress | None = None) -> IngestReport:
    """Load everything in `paths` (and the CSVs) in one transaction; raises FatalSourceError on bad input."""
    found = discover(paths)
    for kind, extra in (("accounts", accounts_csv), ("contacts", contacts_csv), ("revenue", revenue_csv)):
        if extra is not None:
            found.tables[kind].insert(0, _checked_csv(extra, kind))
    if found.empty:
        raise FatalSourceError(f"nothing to ingest in {', '.join(map(str, paths))}: no Slack export, email, "
                               "transcript or accounts/contacts/revenue CSV found")
    accounts = [a for p in found.tables["accounts"] for a in csv_crm.read_accounts(p)]
    contacts = [c for p in found.tables["contacts"] for c in csv_crm.read_contacts(p)]
    revenue = [r for p in found.tables["revenue"] for r in csv_crm.read_revenue(p)]
    report = IngestReport(unrecognised=found.unrecognised)
    with Session(engine) as session, session.begin():
        directory = _load_directory(session, accounts, contacts, vendor_domains, report)
        report.revenue = store.upsert_revenue(session, rows=revenue)
        _ingest_sources(session, found, directory, report, options or {}, progress)
    return report


def _checked_csv(path: Path, kind: str) -> Path:
    if not path.is_file():
        raise FatalSourceError(f"{path}: no such file (given as --{kind})")
    return path


def _load_directory(session: Session, accounts: list[Account], contacts: list[Contact],
                    vendor_domains: Iterable[str], report: IngestReport) -> Directory:
    report.accounts = store.upsert_accounts(session, accounts=accounts)
    known = Directory(accounts=store.load_accounts(session), vendor_domains=frozenset(vendor_domains))
    resolved = []
    for c in contacts:
        if c.account_id and c.account_id not in known.account_ids:
            raise FatalSourceError(f"contacts: {c.email} names account_id {c.account_id!r}, which is not in "
                                   "accounts.csv or the database: add the account or fix the id")
        account_id = c.account_id or known.account_for_domain(c.domain)
        resolved.append(Contact(c.email, c.name, c.title, account_id, c.slack_user_id, c.role))
    report.contacts = store.upsert_contacts(session, contacts=resolved)
    return stored_directory(session, vendor_domains, accounts=known.accounts)


def stored_directory(session: Session, vendor_domains: Iterable[str], *,
                     accounts: list[Account] | None = None) -> Directory:
    """Accounts (unless given, already loaded), contacts and known people as stored, for connectors to resolve."""
    return Directory(accounts=store.load_accounts(session) if accounts is None else accounts,
                     contacts=store.load_contacts(session), vendor_domains=frozenset(vendor_domains),
                     known_people=store.known_people(session))


def store_messages(session: Session, messages: Iterable[Message], unresolved: Counter,
                   progress: Progress | None = None) -> tuple[int, int]:
    """Insert the messages that matched an account, `BATCH` at a time in the session's transaction; count
    the others in `unresolved` by hint (they are reported, never stored).  Returns (seen, inserted)."""
    seen = inserted = 0
    batch: list[Message] = []
    for message in messages:
        seen += 1
        if message.account_id is None:
            unresolved[message.unresolved_hint or "no customer address"] += 1
            continue
        batch.append(message)
        if len(batch) >= BATCH:
            inserted += _flush(session, batch, progress)
    return seen, inserted + _flush(session, batch, progress)


def _ingest_sources(session: Session, found: Discovery, directory: Directory, report: IngestReport,
                    options: dict[str, dict], progress: Progress | None) -> None:
    messages = _fetch_sources(found, directory, report, options)
    seen, inserted = store_messages(session, messages, report.unresolved, progress)
    report.seen += seen
    report.inserted += inserted


def _fetch_sources(found: Discovery, directory: Directory, report: IngestReport,
                   options: dict[str, dict]) -> Iterator[Message]:
    """Every source's messages, one stream (batches span sources); learns addresses and tallies as it goes."""
    # Sources with addresses first, so calls can place speakers who wrote in Slack or email.
    for item in sorted(found.sources, key=lambda f: FETCH_ORDER.get(f.connector.name, 9)):
        connector = _build(item, directory, options.get(item.connector.name, {}))
        for message in connector.fetch():
            if message.author_email:
                directory.learn(message.author, message.author_email)
            report.by_source[message.source] += 1
            yield message
        report.skipped.extend(connector.skipped)
        report.noise.update(getattr(connector, "noise", {}) or {})


def _build(item: Found, directory: Directory, options: dict) -> FileConnector:
    try:
        return item.connector(path=item.path, directory=directory, root=item.root, **options)
    except (TypeError, ValueError) as exc:
        raise FatalSourceError(f"config [sources] {item.connector.name}: {exc}") from None


def _flush(session: Session, batch: list[Message], progress: Progress | None) -> int:
    """Store the buffered messages (in the caller's transaction), empty the buffer; how many were new."""
    if not batch:
        return 0
    inserted = store.insert_messages(session, messages=batch)
    if progress:
        progress(len(batch))
    batch.clear()
    return inserted


@dataclass
class AnalyzeReport:
    messages: int = 0
    signals: int = 0
    derived: int = 0
    by_type: Counter = field(default_factory=Counter)


def analyze(engine: Engine, *, classifier: Classifier, agents: Sequence[Agent], multithread: MultithreadAgent,
            as_of: datetime, now: datetime, batch_size: int = 2000,
            progress: Progress | None = None) -> AnalyzeReport:
    """Run the agents over messages not yet analysed, then recompute the derived signals as of `as_of`."""
    report = AnalyzeReport()
    with Session(engine) as session, session.begin():
        accounts = {a.account_id: a for a in store.load_accounts(session)}
        for batch in store.unanalyzed_batches(session, size=batch_size):
            signals = _assess_batch(classifier, agents, accounts, [m for _, m in batch])
            ids = {f"{m.source}:{m.source_id}": i for i, m in batch}
            report.signals += store.insert_signals(session, signals=signals, message_ids=ids, now=now)
            report.by_type.update(s.type for s in signals)
            store.mark_analyzed(session, ids=list(ids.values()), at=now)
            report.messages += len(batch)
            if progress:
                progress(len(batch))
        derived = _derive(session, multithread, accounts, as_of)
        store.replace_derived_signals(session, signals=derived, now=now)
        report.derived = len(derived)
        report.by_type.update(s.type for s in derived)
    return report


def _assess_batch(classifier: Classifier, agents: Sequence[Agent], accounts: dict[str, Account],
                  messages: list[Message]) -> list[Signal]:
    # One batched call up front; the agents share this (memoising) classifier, so theirs are free.
    classifier.classify(messages)
    per_account: dict[str, list[Message]] = {}
    for m in messages:
        per_account.setdefault(m.account_id, []).append(m)
    signals: list[Signal] = []
    for account_id, group in per_account.items():
        for agent in agents:
            signals.extend(agent.assess(accounts[account_id], group))
    return signals


def _derive(session: Session, multithread: MultithreadAgent, accounts: dict[str, Account],
            as_of: datetime) -> list[Signal]:
    activity = store.activity(session, until=as_of)
    contacts = store.load_contacts(session)
    by_account: dict[str, list[Contact]] = {}
    for c in contacts:
        by_account.setdefault(c.account_id or "", []).append(c)
    derived = []
    for account_id, account in accounts.items():
        if account.mrr > 0 and account_id in activity:
            derived.extend(multithread.derive(account, activity[account_id], by_account.get(account_id, []),
                                              as_of=as_of))
    return derived


@dataclass
class RefreshReport:
    ingested: IngestReport | None
    analysed: AnalyzeReport
    errors: list[str] = field(default_factory=list)


def refresh(engine: Engine, *, watch: Sequence[Path], classifier: Classifier, agents: Sequence[Agent],
            multithread: MultithreadAgent, vendor_domains: Iterable[str], now: datetime,
            options: dict[str, dict] | None = None) -> RefreshReport:
    """The scheduled job: re-ingest the watched folders (a no-op for files already stored), then analyse.

    A watched folder that is missing or unreadable is reported and skipped; the
    analysis still runs over whatever is stored.
    """
    errors, ingested = [], None
    present = [p for p in watch if p.exists()]
    errors += [f"{p}: watched folder does not exist" for p in watch if not p.exists()]
    if present:
        try:
            ingested = ingest(engine, paths=present, vendor_domains=vendor_domains, options=options)
        except FatalSourceError as exc:
            errors.append(str(exc))
    analysed = analyze(engine, classifier=classifier, agents=agents, multithread=multithread, as_of=now, now=now)
    return RefreshReport(ingested=ingested, analysed=analysed, errors=errors)


def publish_digest(engine: Engine, *, config: "Config", path: Path, now: datetime,
                   client: "WebClient | None" = None, as_of: date | None = None) -> Path:
    """The weekly job: write the digest page for the portfolio as of `as_of` (default: today in the
    service's timezone); with a client, post it to Slack too."""
    from groundswell import weekly
    from groundswell.delivery import alerts, blocks
    from groundswell.delivery.digest import render_html
    if client is not None and not config.digest.channel:
        from groundswell.settings import ConfigError
        raise ConfigError("set [digest] channel in the config to post the digest to Slack")
    with Session(engine) as session:
        digest = weekly.build(session, as_of=as_of or alerts.service_day(config, now), config=config, now=now)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(digest.report, trend=digest.trend, overdue=digest.overdue, changes=digest.changes),
                    encoding="utf-8")
    if client is not None:
        message = blocks.digest(digest.report, changes=digest.changes, overdue=digest.overdue)
        client.chat_postMessage(channel=config.digest.channel, text=message["text"], blocks=message["blocks"],
                                unfurl_links=False)
    return path
