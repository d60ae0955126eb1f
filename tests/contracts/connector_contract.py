"""The contract every file connector keeps, as one suite subclassed per connector.

A subclass supplies `make_input(tmp_path)` returning a path in its format
with at least two messages for the directory below, and `connector_class`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest

from connectors.base import FILE_CONNECTORS, FileConnector, Message
from connectors.directory import Directory
from signals.portfolio import Account, Contact

DIRECTORY = Directory(
    accounts=[Account("ACC-1", "Acme Corp", 1000.0, domains=("acme.io",), slack_channels=("ext-acme",),
                      csm="maya@vendor.io")],
    contacts=[Contact("dana@acme.io", "Dana Kim", "VP Operations", "ACC-1", "UDANA")],
    vendor_domains=frozenset({"vendor.io"}))


class ConnectorContract:
    connector_class: ClassVar[type[FileConnector]]

    def make_input(self, tmp_path: Path) -> Path:
        raise NotImplementedError

    def fetch(self, path: Path, **kw) -> list[Message]:
        return list(self.connector_class(path=path, directory=DIRECTORY).fetch(**kw))

    def test_is_registered_and_sniffs_its_own_input(self, tmp_path: Path) -> None:
        assert FILE_CONNECTORS[self.connector_class.name] is self.connector_class
        assert self.connector_class.sniff(self.make_input(tmp_path))

    def test_does_not_sniff_other_content(self, tmp_path: Path) -> None:
        other = tmp_path / "notes.bin"
        other.write_bytes(b"\x00\x01 nothing to see")
        assert not self.connector_class.sniff(other)

    def test_timestamps_are_utc_and_ids_stable_and_unique(self, tmp_path: Path) -> None:
        path = self.make_input(tmp_path)
        first, second = self.fetch(path), self.fetch(path)
        assert len(first) >= 2
        assert all(m.ts.utcoffset() == timedelta(0) for m in first)
        ids = [(m.source, m.source_id) for m in first]
        assert len(set(ids)) == len(ids)
        assert ids == [(m.source, m.source_id) for m in second]

    def test_messages_resolve_to_the_account_with_sides(self, tmp_path: Path) -> None:
        messages = self.fetch(self.make_input(tmp_path))
        assert {m.account_id for m in messages} == {"ACC-1"}
        assert {m.author_side for m in messages} <= {"customer", "vendor", "unknown"}
        assert any(m.author_side == "customer" for m in messages)

    def test_text_is_plain_and_nonempty(self, tmp_path: Path) -> None:
        messages = self.fetch(self.make_input(tmp_path))
        assert all(m.text.strip() and m.source in ("slack", "email", "call") for m in messages)

    def test_since_filters_older_messages(self, tmp_path: Path) -> None:
        path = self.make_input(tmp_path)
        messages = self.fetch(path)
        latest = max(m.ts for m in messages)
        later = self.fetch(path, since=latest)
        assert later and all(m.ts >= latest for m in later) and len(later) < len(messages)

    def test_no_skips_on_good_input(self, tmp_path: Path) -> None:
        connector = self.connector_class(path=self.make_input(tmp_path), directory=DIRECTORY)
        list(connector.fetch())
        assert connector.skipped == []


def when(day: int, hour: int) -> datetime:
    from datetime import timezone
    return datetime(2026, 9, day, hour, 0, tzinfo=timezone.utc)
