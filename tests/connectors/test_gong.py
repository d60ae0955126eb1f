"""GongConnector through its real HTTP code, against the local FakeGong server.

The portfolio: Acme (acme.io) and Globex (globex.io); the vendor is
vendor.io.  Maya is the vendor's CSM on every call.  "Now" is 2026-03-12
18:00, within the 3-day transcript wait of every call.
"""

from __future__ import annotations

import itertools
import json
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from connectors.base import Connector, FatalSourceError, Message, RetriableSourceError
from connectors.directory import Directory
from connectors.gong import GongConnector
from connectors.transcripts import TranscriptConnector
from signals.portfolio import Account
from tests.fakes.gong import EXTENSIVE, TRANSCRIPT, FakeGong, monologue, party

NOW = datetime(2026, 3, 12, 18, tzinfo=timezone.utc)
KEY, SECRET = "gong-key", "s3cret-do-not-print"
MAYA = party("s1", "Maya Csm", "maya@vendor.io", affiliation="Internal")
DANA = party("s2", "Dana Kim", "dana@acme.io")
PRIYA = party(None, "Priya Silent", "priya@acme.io")  # invited, never spoke
GINA = party("s3", "Gina Globex", "gina@globex.io")
ACME_TALK = [
    monologue("s1", (0, 1500, "Hi Dana."), (1600, 3000, "Thanks for joining."), topic="Intro"),
    monologue("s2", (3200, 4000, "Hi Maya."), topic="Intro"),
    monologue("s2", (5000, 8000, "We are looking at other vendors."), topic="Pricing"),
    monologue("s1", (9000, 9500, "Let's talk about that."), topic="Pricing"),
]


def day(n: int, hour: int = 15) -> datetime:
    return datetime(2026, 3, n, hour, tzinfo=timezone.utc)


def talk(speaker: str, text: str, start: int = 0) -> list[dict]:
    return [monologue(speaker, (start, start + 1000, text))]


@pytest.fixture
def directory() -> Directory:
    return Directory(accounts=[Account("ACC-ACME", "Acme", 1000.0, domains=("acme.io",)),
                               Account("ACC-GLOBEX", "Globex", 500.0, domains=("globex.io",))],
                     vendor_domains=frozenset({"vendor.io"}))


@pytest.fixture
def fake():
    with FakeGong(access_key=KEY, secret=SECRET, page_size=2) as server:
        server.add_call("c1", started=day(10), title="Acme QBR", parties=[MAYA, DANA, PRIYA], transcript=ACME_TALK)
        server.add_call("c2", started=day(11), title="Globex sync", parties=[MAYA, GINA],
                        transcript=talk("s3", "Can we add ten seats?"))
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def connect(fake: FakeGong, directory: Directory, sleeps: list[float]):
    def make(**overrides) -> GongConnector:
        options = dict(base_url=fake.url, access_key=KEY, secret=SECRET, directory=directory,
                       sleep=sleeps.append, clock=lambda: NOW, per_second=0,  # pacing: its own test
                       http=urllib.request.build_opener(urllib.request.ProxyHandler({})).open)
        return GongConnector(**{**options, **overrides})
    return make


def by_call(messages: list[Message], call_id: str) -> list[Message]:
    return [m for m in messages if m.thread_id == call_id]


# -- messages -----------------------------------------------------------------
def test_one_message_per_speaker_turn_at_call_start_plus_offset(connect) -> None:
    connector = connect()
    acme = by_call(list(connector.fetch()), "c1")
    assert [(m.source_id, m.author, m.text) for m in acme] == [
        ("c1:0", "Maya Csm", "Hi Dana. Thanks for joining."),
        ("c1:1", "Dana Kim", "Hi Maya. We are looking at other vendors."),
        ("c1:2", "Maya Csm", "Let's talk about that.")]
    assert [m.ts for m in acme] == [day(10), day(10) + timedelta(seconds=3.2), day(10) + timedelta(seconds=9)]
    first = acme[0]
    assert first.source == "call" and first.channel == "Acme QBR" and first.url == "https://app.gong.io/call?id=c1"
    assert set(first.participants) == {"maya@vendor.io", "dana@acme.io", "priya@acme.io"}
    assert connector.skipped == []
    assert isinstance(connector, Connector)


def test_sides_come_from_gong_affiliation_then_the_directory(connect, fake: FakeGong) -> None:
    fake.add_call("c3", started=day(12), title="Partner call",
                  parties=[party("s1", "Omar Outside", "omar@partner.example"),
                           party("s2", "Vic Vendor", "vic@vendor.io", affiliation="Unknown")],
                  transcript=talk("s1", "Hello.") + talk("s2", "Hi.", 2000))
    messages = list(connect().fetch())
    sides = {m.author: m.author_side for m in messages}
    assert sides == {"Maya Csm": "vendor", "Dana Kim": "customer", "Gina Globex": "customer",
                     "Omar Outside": "customer", "Vic Vendor": "vendor"}
    assert {m.author_email for m in messages if m.author == "Dana Kim"} == {"dana@acme.io"}


def test_account_is_voted_by_external_email_domains(connect, fake: FakeGong) -> None:
    fake.add_call("c3", started=day(12), title="Intro with a prospect",
                  parties=[MAYA, party("s2", "Ivan", "ivan@initech.com")], transcript=talk("s2", "Hello."))
    messages = list(connect().fetch())
    assert {m.thread_id: m.account_id for m in messages} == {"c1": "ACC-ACME", "c2": "ACC-GLOBEX", "c3": None}
    assert {m.unresolved_hint for m in by_call(messages, "c3")} == {"domain initech.com"}


def test_offsets_in_seconds(connect, fake: FakeGong) -> None:
    fake.add_call("c3", started=day(12), title="Acme follow-up", parties=[MAYA, DANA],
                  transcript=talk("s1", "Welcome back.", 0) + talk("s2", "Thanks.", 4))
    messages = by_call(list(connect(offset_unit="s").fetch()), "c3")
    assert [m.ts for m in messages] == [day(12), day(12) + timedelta(seconds=4)]
    with pytest.raises(ValueError, match="offset_unit"):
        connect(offset_unit="minutes")


def test_same_messages_as_the_same_call_exported_as_a_gong_json_file(connect, fake: FakeGong,
                                                                     directory: Directory, tmp_path: Path) -> None:
    live = list(connect().fetch())
    export = {"callTranscripts": [{"callId": cid, "transcript": fake.transcripts[cid]} for cid in fake.calls],
              "calls": list(fake.calls.values())}
    (tmp_path / "gong.json").write_text(json.dumps(export))
    from_file = list(TranscriptConnector(path=tmp_path / "gong.json", directory=directory).fetch())
    fields = lambda m: (m.source, m.source_id, m.ts, m.author, m.text, m.author_email, m.account_id)  # noqa: E731
    assert [fields(m) for m in live] == [fields(m) for m in from_file]


# -- paging and windows -----------------------------------------------------------
def test_follows_cursors_and_batches_transcripts(connect, fake: FakeGong) -> None:
    for n in range(3, 8):
        fake.add_call(f"c{n}", started=day(12, n), title=f"Acme call {n}", parties=[MAYA, DANA],
                      transcript=talk("s2", f"Point {n}."))
    messages = list(connect(page_size=3).fetch())
    assert sorted({m.thread_id for m in messages}) == [f"c{n}" for n in range(1, 8)]
    listed = fake.bodies(EXTENSIVE)
    assert len(listed) == 4 and "cursor" not in listed[0] and all("cursor" in b for b in listed[1:])
    assert listed[0]["contentSelector"]["exposedFields"]["parties"] is True
    assert [len(b["filter"]["callIds"]) for b in fake.bodies(TRANSCRIPT) if "cursor" not in b] == [3, 3, 1]
    assert len(messages) == len({m.source_id for m in messages})


def test_first_sync_starts_at_since_and_an_empty_window_is_no_error(connect, fake: FakeGong) -> None:
    assert {m.thread_id for m in connect(since=day(11, 0)).fetch()} == {"c2"}
    assert fake.bodies(EXTENSIVE)[0]["filter"] == {"fromDateTime": "2026-03-11T00:00:00Z",
                                                    "toDateTime": "2026-03-12T18:00:00Z"}
    connector = connect(since=day(12, 16))
    assert list(connector.fetch()) == [] and connector.skipped == []  # Gong answers 404: no calls found
    assert json.loads(connector.cursor)["after"] == "2026-03-12T16:00:00Z"


# -- incremental sync -------------------------------------------------------------
def test_incremental_sync_hands_out_each_call_once(connect, fake: FakeGong) -> None:
    first = connect()
    assert {m.thread_id for m in first.fetch()} == {"c1", "c2"}
    cursor = first.cursor
    assert json.loads(cursor) == {"version": 1, "after": "2026-03-11T15:00:00Z",
                                  "seen": {"c1": "2026-03-10T15:00:00Z", "c2": "2026-03-11T15:00:00Z"}}
    fake.add_call("c3", started=day(12), title="Acme again", parties=[MAYA, DANA], transcript=talk("s2", "Hi."))
    fake.add_call("c0", started=day(11, 9), title="Late upload", parties=[MAYA, DANA], transcript=talk("s2", "Yo."))
    second = connect(cursor=cursor)
    assert [m.source_id for m in second.fetch()] == ["c0:0", "c3:0"]  # c0 is within the lookback
    assert fake.bodies(EXTENSIVE)[-1]["filter"]["fromDateTime"] == "2026-03-10T15:00:00Z"
    third = connect(cursor=second.cursor)
    assert list(third.fetch()) == []
    assert json.loads(third.cursor)["after"] == "2026-03-12T15:00:00Z"
    assert set(json.loads(third.cursor)["seen"]) == {"c2", "c3"}  # c0 and c1 started before after - lookback


def test_cursor_covers_only_the_calls_handed_out(connect) -> None:
    first = connect()
    messages = first.fetch()
    taken = [next(messages) for _ in range(3)]  # all of c1, none of c2
    assert {m.thread_id for m in taken} == {"c1"}
    rest = list(connect(cursor=first.cursor).fetch())
    assert {m.thread_id for m in rest} == {"c2"}


def test_a_call_without_a_transcript_is_skipped_and_asked_for_next_sync(connect, fake: FakeGong) -> None:
    fake.set_transcript("c1", None)
    first = connect()
    assert {m.thread_id for m in first.fetch()} == {"c2"}
    assert [str(s) for s in first.skipped] == ["gong call c1: transcript not ready yet: the next sync asks again"]
    assert json.loads(first.cursor)["after"] == "2026-03-10T15:00:00Z"  # held at c1, not moved past it
    fake.set_transcript("c1", ACME_TALK)
    second = connect(cursor=first.cursor, lookback=timedelta(0))
    assert [m.source_id for m in second.fetch()] == ["c1:0", "c1:1", "c1:2"]  # and c2 not again
    assert second.skipped == []
    assert json.loads(second.cursor)["after"] == "2026-03-11T15:00:00Z"


def test_a_transcript_missing_for_too_long_is_given_up(connect, fake: FakeGong) -> None:
    fake.set_transcript("c1", [])
    connector = connect(transcript_wait=timedelta(hours=36))
    assert {m.thread_id for m in connector.fetch()} == {"c2"}
    assert [s.reason for s in connector.skipped] == ["no transcript 36 hours after the call: given up"]
    assert json.loads(connector.cursor)["after"] == "2026-03-11T15:00:00Z"


def test_an_unreadable_cursor_is_reported_and_reading_starts_over(connect) -> None:
    connector = connect(cursor="{not json")
    assert {m.thread_id for m in connector.fetch()} == {"c1", "c2"}
    assert [s.where for s in connector.skipped] == ["gong cursor"]


# -- failures ---------------------------------------------------------------------
def test_429_waits_for_retry_after(connect, fake: FakeGong, sleeps: list[float]) -> None:
    fake.fail_next(EXTENSIVE, 429, retry_after=2)
    assert len(list(connect().fetch())) == 4
    assert sleeps == [2.0]


def test_500_backs_off_then_succeeds(connect, fake: FakeGong, sleeps: list[float]) -> None:
    fake.fail_next(TRANSCRIPT, 500, times=2)
    assert len(list(connect().fetch())) == 4
    assert sleeps == [1.0, 2.0]


def test_retries_run_out_as_a_retriable_error(connect, fake: FakeGong, sleeps: list[float]) -> None:
    fake.fail_next(EXTENSIVE, 503, times=3)
    with pytest.raises(RetriableSourceError, match="HTTP 503") as caught:
        list(connect(max_retries=2).fetch())
    assert len(fake.bodies(EXTENSIVE)) == 3 and sleeps == [1.0, 2.0]
    fake.fail_next(EXTENSIVE, 429, retry_after=3600)
    with pytest.raises(RetriableSourceError) as caught:
        list(connect().fetch())
    assert caught.value.retry_after == 3600  # too long to wait inside a sync: the scheduler retries later
    assert sleeps == [1.0, 2.0]


def test_a_refused_secret_is_fatal_and_never_printed(connect, fake: FakeGong, sleeps: list[float]) -> None:
    with pytest.raises(FatalSourceError) as caught:
        list(connect(secret="wrong-" + SECRET).fetch())
    text = str(caught.value)
    assert "401" in text and "\n" not in text and SECRET not in text and KEY not in text
    assert len(fake.requests) == 1 and sleeps == []
    connector = connect()
    assert SECRET not in repr(connector) and SECRET not in repr(vars(connector))


def test_a_missing_scope_is_fatal_and_names_it(connect, fake: FakeGong) -> None:
    fake.fail_next(TRANSCRIPT, 403)
    with pytest.raises(FatalSourceError, match="api:calls:read:transcript"):
        list(connect().fetch())


def test_requests_are_paced_under_gongs_three_a_second(connect, fake: FakeGong, sleeps: list[float]) -> None:
    started = datetime(2026, 3, 10, 15, tzinfo=timezone.utc)
    for i in range(3):
        fake.add_call(f"p{i}", started=started + timedelta(hours=i), parties=[], transcript=[])
    clock = itertools.count(0.0, 0.05)  # 50 ms pass between readings of the clock
    list(connect(per_second=3.0, page_size=1, ticks=lambda: next(clock)).fetch())
    assert len(fake.requests) >= 2
    assert len(sleeps) == len(fake.requests) - 1  # every request after the first waited its turn
    assert all(abs(wait - (1 / 3 - 0.05)) < 1e-9 for wait in sleeps)
