"""A local fake of Gong's v2 calls API: real HTTP on 127.0.0.1, Gong's wire format.

`GongConnector(base_url=fake.url, ...)` talks to it exactly as it talks to
`https://api.gong.io`: `POST /v2/calls/extensive` (calls with their parties)
and `POST /v2/calls/transcript` (monologues of sentences), a JSON body with a
`filter` and an optional `cursor`, HTTP Basic auth with an access key and its
secret.  Pages are fixed server-side (`page_size`), as Gong's are, and a
query that matches no call is a 404, as Gong answers it.  Every request is
recorded; `fail_next()` scripts a 429 with Retry-After, a 5xx or a 401.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from tests.fakes.server import JSONHandler, LocalServer

EXTENSIVE = "/v2/calls/extensive"
TRANSCRIPT = "/v2/calls/transcript"


@dataclass(frozen=True)
class Request:
    path: str
    body: dict
    access_key: str | None  # the user half of Basic auth; the secret is not kept


@dataclass
class _Script:
    path: str
    status: int
    times: int
    retry_after: float | None = None


def party(speaker_id: str | None, name: str | None, email: str | None = None, *,
          affiliation: str = "External", **extra: object) -> dict:
    """One of a call's `parties`, as /v2/calls/extensive lists it."""
    pid = extra.pop("id", f"p-{speaker_id or name}")
    return {"id": pid, "speakerId": speaker_id, "name": name, "emailAddress": email,
            "affiliation": affiliation, **extra}


def monologue(speaker_id: str, *sentences: tuple[int, int, str], topic: str | None = None) -> dict:
    """One speaker's run of `(start, end, text)` sentences in one topic."""
    return {"speakerId": speaker_id, "topic": topic,
            "sentences": [{"start": start, "end": end, "text": text} for start, end, text in sentences]}


class FakeGong(LocalServer):
    def __init__(self, *, access_key: str = "gong-key", secret: str = "gong-secret", page_size: int = 100) -> None:
        self.access_key, self.secret, self.page_size = access_key, secret, page_size
        self.calls: dict[str, dict] = {}             # id -> {"metaData", "parties"}
        self.transcripts: dict[str, list | None] = {}  # id -> monologues; None: not transcribed yet
        self.requests: list[Request] = []
        self._scripts: list[_Script] = []
        self._lock = threading.RLock()
        self.routes = {EXTENSIVE: self._extensive, TRANSCRIPT: self._transcript}

    @property
    def url(self) -> str:
        return self.root + ""

    # -- state --------------------------------------------------------------
    def add_call(self, id: str, *, started: datetime | str, title: str = "Call", duration: int = 1800,
                 parties: list[dict] = (), transcript: list[dict] | None = None, **meta: object) -> dict:
        """A call; `transcript=None` is one Gong has not transcribed yet (see `set_transcript`)."""
        when = started if isinstance(started, str) else started.astimezone(timezone.utc).isoformat()
        call = {"metaData": {"id": id, "url": f"https://app.gong.io/call?id={id}", "title": title,
                             "started": when.replace("+00:00", "Z"), "duration": duration, "system": "Zoom",
                             "direction": "Conference", "scope": "External", **meta},
                "parties": [dict(p) for p in parties]}
        with self._lock:
            self.calls[id] = call
            self.transcripts[id] = transcript
        return call

    def set_transcript(self, call_id: str, transcript: list[dict] | None) -> None:
        with self._lock:
            self.transcripts[call_id] = transcript

    # -- scripting and inspection -------------------------------------------
    def fail_next(self, path: str, status: int, *, retry_after: float | None = None, times: int = 1) -> None:
        """The next `times` requests to `path` answer `status` (with Retry-After when given)."""
        self._scripts.append(_Script(path, status, times, retry_after))

    def bodies(self, path: str) -> list[dict]:
        """The JSON bodies of every request made to `path`, in order."""
        return [r.body for r in self.requests if r.path == path]

    # -- dispatch -----------------------------------------------------------
    def handle(self, path: str, body: dict | None, authorization: str) -> tuple[int, dict, dict]:
        """(HTTP status, extra headers, JSON body) for one request."""
        with self._lock:
            key, secret = _basic(authorization)
            self.requests.append(Request(path, body or {}, key))
            request_id = uuid.uuid4().hex[:16]
            script = self._script(path)
            if script is not None:
                headers = {} if script.retry_after is None else {"Retry-After": f"{script.retry_after:g}"}
                return script.status, headers, {"requestId": request_id, "errors": [f"scripted {script.status}"]}
            if (key, secret) != (self.access_key, self.secret):
                return 401, {}, {"requestId": request_id, "errors": ["Unauthorized"]}
            route = self.routes.get(path)
            if route is None:
                return 404, {}, {"requestId": request_id, "errors": [f"No such endpoint {path}"]}
            if body is None:
                return 400, {}, {"requestId": request_id, "errors": ["Request body is not valid JSON"]}
            status, answer = route(body)
            return status, {}, {"requestId": request_id, **answer}

    def _script(self, path: str) -> _Script | None:
        for script in self._scripts:
            if script.path == path and script.times > 0:
                script.times -= 1
                return script
        return None

    # -- endpoints ------------------------------------------------------------
    def _extensive(self, body: dict) -> tuple[int, dict]:
        found = [self.calls[i] for i in self._matching(body.get("filter") or {})]
        return self._page(found, "calls", body.get("cursor"))

    def _transcript(self, body: dict) -> tuple[int, dict]:
        ids = [i for i in self._matching(body.get("filter") or {}) if self.transcripts.get(i) is not None]
        found = [{"callId": i, "transcript": self.transcripts[i]} for i in ids]
        return self._page(found, "callTranscripts", body.get("cursor"))

    def _matching(self, filter: dict) -> list[str]:
        """Call ids by start time: `fromDateTime` inclusive, `toDateTime` exclusive, `callIds` if given."""
        low, high = _time(filter.get("fromDateTime")), _time(filter.get("toDateTime"))
        wanted = set(map(str, filter["callIds"])) if filter.get("callIds") is not None else None
        chosen = []
        for cid, call in self.calls.items():
            started = _time(call["metaData"]["started"])
            in_window = (low is None or started >= low) and (high is None or started < high)
            if in_window and (wanted is None or cid in wanted):
                chosen.append((started, cid))
        return [cid for _, cid in sorted(chosen)]

    def _page(self, items: list[dict], key: str, cursor: str | None) -> tuple[int, dict]:
        if not items:
            return 404, {"errors": ["No calls found corresponding to the provided filters"]}
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
        page = items[offset:offset + self.page_size]
        records = {"totalRecords": len(items), "currentPageSize": len(page),
                   "currentPageNumber": offset // self.page_size}
        if offset + self.page_size < len(items):
            records["cursor"] = base64.urlsafe_b64encode(str(offset + self.page_size).encode()).decode()
        return 200, {"records": records, key: page}


class _Handler(JSONHandler):
    fake: FakeGong

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        status, headers, answer = self.fake.handle(self.path.split("?")[0], body,
                                                   self.headers.get("Authorization", ""))
        self.send_json(status, answer, headers)



def _basic(authorization: str) -> tuple[str | None, str | None]:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        key, _, secret = base64.b64decode(token.strip()).decode().partition(":")
    except ValueError:
        return None, None
    return key, secret


def _time(value: object) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)


FakeGong.handler = _Handler
