"""What every connector produces and how it fails.

A connector turns one raw source (a Slack export, an mbox, a transcript, an
API) into `Message` records: plain new text with quoted history split off,
a UTC timestamp, a stable source id, the author's side and the resolved
account.  Agents never see Slack or Gmail payloads; this module is the
boundary.

Errors: `RetriableSourceError` (try again later: 429, 5xx, timeouts) and
`FatalSourceError` (fix the input or the credentials).  A fault confined to
one unit of a source (one day file, one mbox message, one transcript) is not
an error: the connector records a `Skip` and goes on, and ingest reports the
count.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import ClassVar, Iterator, Protocol, runtime_checkable

from connectors.directory import Directory, Side

SOURCES = ("slack", "email", "call")


class SourceError(Exception):
    """A source could not be read.  The message is one line a user can act on."""


class RetriableSourceError(SourceError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: object, *, now: datetime | None = None) -> float | None:
    """A Retry-After header's wait in seconds: delta-seconds or an HTTP date (RFC 9110, both allowed);
    None when absent or unreadable (the caller backs off on its own)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(text) - (now or datetime.now(timezone.utc))).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def retry_after_header(headers: object) -> float | None:
    """The wait a response's Retry-After header asks for, found in any header mapping whatever its case."""
    items = getattr(headers, "items", None)
    if items is None:
        return None
    return retry_after_seconds(next((v for k, v in items() if str(k).lower() == "retry-after"), None))


class FatalSourceError(SourceError):
    """Bad input or credentials: retrying will not help."""


@dataclass(frozen=True, slots=True)
class Message:
    source: str                    # "slack" | "email" | "call"
    source_id: str                 # stable across re-imports of the same data
    ts: datetime                   # timezone-aware, UTC
    author: str                    # display name
    text: str                      # the new text only
    author_email: str | None = None
    author_side: Side = "unknown"
    account_id: str | None = None  # None: no account matched (reported, not stored)
    quoted: str = ""               # quoted history and signature, kept apart
    thread_id: str | None = None
    channel: str | None = None     # Slack channel name, email subject, call title
    participants: tuple[str, ...] = ()  # emails where known, else names
    url: str | None = None         # permalink, when the source has one
    unresolved_hint: str | None = None  # why no account matched: "domain acme.io", "channel #x"

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None or self.ts.utcoffset() != timedelta(0):
            raise ValueError(f"Message.ts must be UTC-aware, got {self.ts!r} for {self.source_id}")


@dataclass(frozen=True, slots=True)
class Skip:
    """A unit of input that was left out, and why (one line)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@runtime_checkable
class Connector(Protocol):
    name: ClassVar[str]

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]: ...


class SkipLog:
    """`skipped`, the units of input a fetch left out, and `skip`, which records one.

    Each connector makes `skipped` its own list (a field, or in `__init__`)
    and clears it as a fetch starts; a reason is kept to one line.
    """

    skipped: list[Skip]

    def skip(self, where: str | Path, reason: str) -> None:
        self.skipped.append(Skip(str(where), " ".join(str(reason).split())))


@dataclass
class FileConnector(SkipLog):
    """Base for connectors that read files: a path and the skips they record.

    Subclasses set `name`, implement `sniff` (does this path hold my format,
    judged by content) and `fetch`, which starts by clearing `skipped`.
    `root` is the folder the user named when `path` was found inside it, so a
    connector can read meaning from the folders in between (an account id).
    Constructors do no I/O.
    """

    name: ClassVar[str] = "file"
    path: Path
    directory: Directory
    skipped: list[Skip] = field(default_factory=list)
    root: Path | None = None

    @classmethod
    def sniff(cls, path: Path) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError


FILE_CONNECTORS: dict[str, type[FileConnector]] = {}


def register(cls: type[FileConnector]) -> type[FileConnector]:
    """Class decorator: make a file connector available to format detection."""
    FILE_CONNECTORS[cls.name] = cls
    return cls


def files_under(folder: Path) -> Iterator[Path]:
    """Every file below `folder`, hidden files and folders left out, in a stable order."""
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                yield Path(root) / name


def to_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)

