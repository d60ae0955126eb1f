"""Finding what is in the paths a user hands to `groundswell ingest`.

Formats are recognised by content: each registered file connector sniffs a
path, and CSVs are told apart by their header.  A folder that is a Slack
export is taken whole; any other folder is walked, so one command can ingest
a directory holding CSVs, an export, mailboxes and transcripts together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from connectors import csv_crm, mbox, slack_export, transcripts  # noqa: F401  (importing registers the formats)
from connectors.base import FILE_CONNECTORS, FatalSourceError, FileConnector

IGNORED = {".DS_Store", "Thumbs.db", "README.md", "README.txt", "LICENSE", "LICENSE.txt"}


@dataclass
class Found:
    root: Path
    path: Path
    connector: type[FileConnector]


@dataclass
class Discovery:
    tables: dict[str, list[Path]] = field(default_factory=lambda: {"accounts": [], "contacts": [], "revenue": []})
    sources: list[Found] = field(default_factory=list)
    unrecognised: list[Path] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.sources and not any(self.tables.values())


def discover(paths: Iterable[Path]) -> Discovery:
    found = Discovery()
    for path in paths:
        if not path.exists():
            raise FatalSourceError(f"{path}: no such file or directory")
        _visit(path, root=path if path.is_dir() else path.parent, found=found)
    return found


def _visit(path: Path, *, root: Path, found: Discovery) -> None:
    if path.name.startswith(".") or path.name in IGNORED:
        return
    whole = FILE_CONNECTORS.get("slack_export")
    if whole is not None and whole.sniff(path):
        found.sources.append(Found(root, path, whole))
    elif path.is_dir():
        for child in sorted(path.iterdir()):
            _visit(child, root=root, found=found)
    elif path.suffix.lower() == ".csv":
        kind = csv_crm.sniff(path)
        (found.tables[kind] if kind else found.unrecognised).append(path)
    else:
        connector = next((c for name, c in sorted(FILE_CONNECTORS.items())
                          if name != "slack_export" and c.sniff(path)), None)
        if connector is None:
            found.unrecognised.append(path)
        else:
            found.sources.append(Found(root, path, connector))
