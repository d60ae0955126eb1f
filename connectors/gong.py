"""The live Gong source: calls and their transcripts through the v2 API -> `Message`.

`POST /v2/calls/extensive` lists the calls started in a window, with their
parties; `POST /v2/calls/transcript` gives their monologues, fetched for
`page_size` call ids at a time.  Both page with a `cursor` in the body.  The
payloads are read by `transcript_formats` and turned into one `Message` per
speaker turn by `transcripts`' own functions, so a call read live and the
same call exported as a Gong JSON file give the same messages and source ids
(`<callId>:<turn>`): an import and then a live sync never store a call twice.
A turn is a run of one speaker's sentences, as in every transcript; a topic
change inside one speaker's run does not split it, or the ids would differ.

Sides: a party Gong marks Internal is the vendor, External the customer;
parties without an affiliation go to the directory.  The account is voted
by the external parties' email domains, else anyone's, else the title.

Incremental sync.  `cursor` is a JSON string: `after`, the start time before
which every call has been handed out (or given up), and `seen`, the calls
handed out that started since `after - lookback`.  Each sync lists calls
from `after - lookback`, so that a call Gong processes late is still found,
and leaves out the `seen` ones.  A call without a transcript yet is a Skip
and holds `after` at its start, so the next sync asks again; after
`transcript_wait` it is given up.  The cursor covers exactly the messages
handed out so far: the caller stores it only after committing them.

Errors: 401 is a `FatalSourceError`, 403 too (a missing scope); 429, 5xx
and a dropped network are retried `max_retries` times, honouring
Retry-After, then a `RetriableSourceError`.  The secret never appears in an
error or a log line.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, ClassVar, Iterator

from connectors.base import (FatalSourceError, Message, RetriableSourceError, Skip, SkipLog, SourceError,
                             retry_after_header, to_utc)
from connectors.directory import Directory
from connectors.transcript_formats import Call, TranscriptFormatError, read_gong_calls
from connectors.transcripts import (GONG_UNITS, collect_emails, list_participants, match_emails, merge_turns,
                                    stated_side)

GONG_API_URL = "https://api.gong.io"
LIST_PATH = "/v2/calls/extensive"
TRANSCRIPT_PATH = "/v2/calls/transcript"
_SCOPES = {LIST_PATH: "api:calls:read:extensive", TRANSCRIPT_PATH: "api:calls:read:transcript"}


class GongConnector(SkipLog):
    """Reads Gong calls and transcripts; `skipped` lists the calls left out this sync, and why."""

    name: ClassVar[str] = "gong"

    def __init__(self, *, base_url: str = GONG_API_URL, access_key: str, secret: str, directory: Directory,
                 cursor: str | None = None, since: datetime | None = None, offset_unit: str = "ms",
                 page_size: int = 50, max_retries: int = 3, backoff: float = 1.0, max_wait: float = 60.0,
                 timeout: float = 30.0, lookback: timedelta = timedelta(days=1),
                 transcript_wait: timedelta = timedelta(days=3), sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 http: Callable[..., Any] | None = None, per_second: float = 3.0,
                 ticks: Callable[[], float] = time.monotonic) -> None:
        if offset_unit not in GONG_UNITS:
            raise ValueError(f"offset_unit must be one of {sorted(GONG_UNITS)}, got {offset_unit!r}")
        self.base_url, self.directory = base_url.rstrip("/"), directory
        self.since = to_utc(since) if since else None
        self.offset_unit, self.page_size, self.max_retries = offset_unit, max(1, page_size), max_retries
        self.backoff, self.max_wait, self.timeout = backoff, max_wait, timeout
        self.lookback, self.transcript_wait = lookback, transcript_wait
        self.sleep, self.clock = sleep, clock
        self.http = http or urllib.request.build_opener().open  # `open(request, timeout=...)`
        # Gong allows 3 API calls a second per company: keep under it rather than collect 429s.
        self.interval, self.ticks, self._last_call = 1.0 / per_second if per_second > 0 else 0.0, ticks, None
        self.skipped: list[Skip] = []
        self._auth = "Basic " + base64.b64encode(f"{access_key}:{secret}".encode()).decode()
        self._saved = cursor
        self._after: datetime | None = None
        self._seen: dict[str, datetime] | None = None
        self._pending: dict[str, datetime] = {}

    def __repr__(self) -> str:
        return f"GongConnector(base_url={self.base_url!r})"

    @property
    def cursor(self) -> str | None:
        """The sync state covering every message handed out so far, as JSON (see the module docstring)."""
        if self._seen is None:
            return self._saved
        after = min(self._pending.values()) if self._pending else max(
            [*self._seen.values(), *([self._after] if self._after else [])], default=None)
        keep = {cid: at for cid, at in self._seen.items() if after is None or at >= after - self.lookback}
        return json.dumps({"version": 1, "after": _iso(after) if after else None,
                           "seen": {cid: _iso(at) for cid, at in sorted(keep.items())}}, sort_keys=True)

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]:
        self.skipped.clear()
        if self._seen is None:
            self._after, self._seen = self._load(self._saved)
        self._pending = {}
        floor = to_utc(since) if since else self.since
        now = to_utc(self.clock())
        start = self._after - self.lookback if self._after else None
        start = max(start, floor) if start and floor else start or floor
        if self._after is None and floor:  # nothing read yet: the next sync starts from `floor` too
            self._after = floor
        calls = [c for c in self._list_calls(start, now) if c[0] not in self._seen]
        for first in range(0, len(calls), self.page_size):
            batch = calls[first:first + self.page_size]
            transcripts = self._transcripts([cid for cid, _, _ in batch])
            for cid, started, record in batch:
                yield from self._call_messages(cid, started, record, transcripts.get(cid), now)

    # -- one call -----------------------------------------------------------
    def _call_messages(self, cid: str, started: datetime, record: dict, transcript: dict | None,
                       now: datetime) -> Iterator[Message]:
        where = f"gong call {cid}"
        try:
            messages = self._read_call(record, transcript) if transcript else []
        except (TranscriptFormatError, TypeError, ValueError, KeyError, AttributeError) as error:
            self._seen[cid] = started  # broken data: asking again would not mend it
            self.skip(where, str(error) if isinstance(error, TranscriptFormatError) else f"unreadable: {error!r}")
            return
        if not messages:
            if now - started > self.transcript_wait:
                self._seen[cid] = started
                self.skip(where, f"no transcript {_span(self.transcript_wait)} after the call: given up")
            else:
                self._pending[cid] = started
                self.skip(where, "transcript not ready yet: the next sync asks again")
            return
        for index, message in enumerate(messages):
            if index == len(messages) - 1:
                self._seen[cid] = started  # before the last yield: the caller commits all it was handed
            yield message

    def _read_call(self, record: dict, transcript: dict) -> list[Message]:
        """The call's turns as messages, exactly as `TranscriptConnector` reads the same JSON from a file."""
        call = read_gong_calls({"callTranscripts": [transcript], "calls": [record]}, GONG_UNITS[self.offset_unit])[0]
        turns = merge_turns(call.cues)
        if not turns or call.started is None:
            return []
        emails = match_emails(call, turns, self.directory)
        participants = list_participants(call, turns, emails)
        title = call.title or f"Gong call {call.call_id}"
        account_id, hint = self._account(call, emails, title)
        start, url = to_utc(call.started), (record.get("metaData") or {}).get("url")
        messages = []
        for index, turn in enumerate(turns):
            email = turn.email or emails.get(turn.speaker.casefold())
            messages.append(Message(
                source="call", source_id=f"{call.call_id}:{index}", ts=start + timedelta(milliseconds=turn.start_ms),
                author=turn.speaker, text=turn.text, author_email=email, account_id=account_id,
                author_side=stated_side(call, turn.speaker, email) or self.directory.side_of(email=email, name=turn.speaker),
                thread_id=call.call_id, channel=title, participants=participants,
                url=url if isinstance(url, str) else None, unresolved_hint=hint))
        return messages

    def _account(self, call: Call, emails: dict[str, str], title: str) -> tuple[str | None, str | None]:
        """(account_id, None), or (None, why nothing matched)."""
        external = [p.email.lower() for p in call.people if p.email and p.side != "vendor"]  # not Internal
        for addresses in (external, collect_emails(call, emails)):
            votes = Counter(a for a in map(self.directory.account_for_email, addresses) if a)
            if votes:
                return votes.most_common(1)[0][0], None
        if found := self.directory.account_for_name(title):
            return found, None
        customer = external or [e for e in collect_emails(call, emails) if self.directory.side_of(email=e) != "vendor"]
        return None, self.directory.unresolved_hint(emails=customer, fallback=f"call '{title}'")

    # -- listing ------------------------------------------------------------
    def _list_calls(self, start: datetime | None, end: datetime) -> list[tuple[str, datetime, dict]]:
        """(id, start, record) of the calls started in [start, end), oldest first."""
        window = {"toDateTime": _iso(end), **({"fromDateTime": _iso(start)} if start else {})}
        body = {"filter": window, "contentSelector": {"context": "None", "exposedFields": {"parties": True}}}
        found: dict[str, tuple[str, datetime, dict]] = {}
        for record in self._pages(LIST_PATH, body, "calls"):
            meta = record.get("metaData") if isinstance(record, dict) else None
            try:
                cid, started = str(meta["id"]), to_utc(datetime.fromisoformat(str(meta["started"])))
            except (TypeError, KeyError, ValueError):
                self.skip("gong call", f"a listed call without a readable id and start: {str(meta)[:60]}")
                continue
            found[cid] = (cid, started, record)
        return sorted(found.values(), key=lambda c: (c[1], c[0]))

    def _transcripts(self, call_ids: list[str]) -> dict[str, dict]:
        body = {"filter": {"callIds": call_ids}}
        return {str(t.get("callId")): t for t in self._pages(TRANSCRIPT_PATH, body, "callTranscripts")
                if isinstance(t, dict)}

    def _pages(self, path: str, body: dict, key: str) -> Iterator:
        """Every item of every page, following `records.cursor`."""
        cursor = None
        while True:
            data = self._post(path, {**body, **({"cursor": cursor} if cursor else {})})
            yield from data.get(key) or ()
            cursor = (data.get("records") or {}).get("cursor")
            if not cursor:
                return

    # -- HTTP ---------------------------------------------------------------
    def _post(self, path: str, body: dict) -> dict:
        """One request, retried on 429, 5xx and network faults; {} for Gong's 404 'no calls found'."""
        data = json.dumps(body).encode()
        headers = {"Authorization": self._auth, "Content-Type": "application/json", "Accept": "application/json"}
        problem, after = "no answer", None
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method="POST")
            self._pace()
            try:
                with self.http(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as error:
                problem, after = f"HTTP {error.code}", retry_after_header(error.headers)
                detail = _detail(error)
                if error.code == 404:
                    return {}
                if error.code not in (408, 429) and error.code < 500:
                    raise _refusal(path, error.code, detail) from None
            except (OSError, ValueError) as error:  # URLError, timeouts, a garbled body
                problem, after = type(error).__name__, None
            if after is not None and after > self.max_wait:
                break
            if attempt < self.max_retries:
                self.sleep(after if after is not None else self.backoff * 2 ** attempt)
        wait = f", Retry-After {after:g} s" if after is not None else ""
        raise RetriableSourceError(f"Gong failed {path} ({problem}{wait}) after {attempt + 1} tries: "
                                   "sync again later", retry_after=after)

    def _pace(self) -> None:
        if self._last_call is not None:
            wait = self.interval - (self.ticks() - self._last_call)
            if wait > 0:
                self.sleep(wait)
        self._last_call = self.ticks()

    # -- cursor -------------------------------------------------------------
    def _load(self, saved: str | None) -> tuple[datetime | None, dict[str, datetime]]:
        """(after, seen) of a stored cursor; an unreadable one is reported and reading starts over."""
        if not saved:
            return None, {}
        try:
            state = json.loads(saved)
            after = to_utc(datetime.fromisoformat(state["after"])) if state.get("after") else None
            seen = {str(cid): to_utc(datetime.fromisoformat(at)) for cid, at in dict(state["seen"]).items()}
            return after, seen
        except (TypeError, KeyError, ValueError, AttributeError) as error:
            self.skip("gong cursor", f"unreadable ({type(error).__name__}), so calls are read from `since`")
            return None, {}


def _refusal(path: str, status: int, detail: str) -> SourceError:
    """One line for a 4xx Gong will not change its mind about; the credentials are never in it."""
    if status == 401:
        return FatalSourceError("Gong refused the credentials (HTTP 401): check the Gong access key and secret "
                                "(Gong > Company settings > Ecosystem > API)")
    if status == 403:
        return FatalSourceError(f"Gong denied {path} (HTTP 403): give the API key the {_SCOPES.get(path, 'needed')} "
                                "scope, or ask a Gong admin for API access")
    return FatalSourceError(f"Gong refused {path} (HTTP {status}{': ' + detail if detail else ''})")


def _detail(error: urllib.error.HTTPError) -> str:
    """The first of Gong's `errors`, shortened; '' when the body says nothing readable."""
    try:
        errors = json.loads(error.read().decode("utf-8", "replace")).get("errors") or []
        return " ".join(str(errors[0]).split())[:120] if errors else ""
    except (OSError, ValueError, AttributeError):
        return ""
    finally:
        error.close()


def _span(length: timedelta) -> str:
    hours = length.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours % 24 == 0 else f"{hours:g} hours"


def _iso(when: datetime) -> str:
    return to_utc(when).isoformat().replace("+00:00", "Z")
