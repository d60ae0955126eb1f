"""Pieces every connector shares."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from connectors.base import retry_after_seconds

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("value, seconds", [
    ("30", 30.0), (" 1.5 ", 1.5), (["7"], 7.0), ("-5", 0.0),          # delta-seconds; never negative
    ("Tue, 24 Nov 2026 09:01:00 GMT", 60.0),                         # an HTTP date: the wait until then
    ("Tue, 24 Nov 2026 08:59:00 GMT", 0.0),                          # already passed
    (None, None), ([], None), ("soon", None), ("inf", None), ("nan", None),  # the caller backs off itself
])
def test_retry_after_reads_seconds_and_http_dates(value, seconds) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds
