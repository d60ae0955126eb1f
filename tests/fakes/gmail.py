"""A local fake of the Gmail API: real HTTP on 127.0.0.1, Gmail's REST wire format.

The real `googleapiclient.discovery.build("gmail", "v1", ...,
client_options={"api_endpoint": fake.url}, static_discovery=True)` talks to
it as it talks to Google: `GET /gmail/v1/users/{userId}/...` with
`alt=json` and `Authorization: Bearer <token>`.  It serves the paths of the
discovery document shipped with googleapiclient: messages.list,
messages.get (formats full, metadata, minimal), history.list and
users.getProfile, for several mailboxes at once.

Each token belongs to one mailbox (as a domain-wide-delegation token does),
so `userId="me"` means the token's mailbox.  Every message added is one
`messageAdded` history record with the next history id; a startHistoryId
below `oldest_history` answers 404 notFound, as Gmail does once a history
id has expired.  `fail()` scripts HTTP errors in Google's JSON error shape.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message as MimeMessage
from email.parser import BytesParser
from email.policy import compat32
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.server import JSONHandler, LocalServer

_PREFIX = "/gmail/v1/users/"
_REASONS = {400: ("badRequest", "INVALID_ARGUMENT"), 401: ("authError", "UNAUTHENTICATED"),
            403: ("forbidden", "PERMISSION_DENIED"), 404: ("notFound", "NOT_FOUND"),
            429: ("rateLimitExceeded", "RESOURCE_EXHAUSTED"), 500: ("backendError", "INTERNAL"),
            503: ("backendError", "UNAVAILABLE")}
_MESSAGES = {401: "Request had invalid authentication credentials.", 404: "Requested entity was not found.",
             429: "Too many concurrent requests for user.", 500: "Backend Error", 503: "The service is currently unavailable."}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict          # name -> value, or a list when the name repeats (historyTypes)
    user: str | None     # the userId in the path, URL-decoded
    token: str | None


@dataclass
class _Script:
    fragment: str
    status: int
    times: int
    retry_after: float | None
    reason: str | None


@dataclass
class Mailbox:
    email: str
    messages: dict[str, dict] = field(default_factory=dict)   # id -> users.messages resource (format=full)
    history: list[dict] = field(default_factory=list)         # history records, oldest first
    history_id: int = 0
    attachments: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (message id, attachment id) -> data


class FakeGmail(LocalServer):
    def __init__(self, *, tokens: dict[str, str] | None = None, oldest_history: int = 0) -> None:
        self.tokens: dict[str, str] = dict(tokens or {})  # token -> the mailbox it opens
        self.oldest_history = oldest_history
        self.mailboxes: dict[str, Mailbox] = {}
        self.requests: list[Request] = []
        self._scripts: list[_Script] = []
        self._next_history = 1000
        self._lock = threading.RLock()
        for email in self.tokens.values():
            self.mailbox(email)

    @property
    def url(self) -> str:
        return self.root + "/"

    # -- state --------------------------------------------------------------
    def mailbox(self, email: str, *, token: str | None = None) -> Mailbox:
        """The mailbox of `email`, created on first use; `token` opens it."""
        email = email.lower()
        if token:
            self.tokens[token] = email
        return self.mailboxes.setdefault(email, Mailbox(email))

    def add_resource(self, user: str, resource: dict, *, labels: Iterable[str] | None = None) -> dict:
        """Store a users.messages resource as delivered now: it gets the next history id."""
        with self._lock:
            box = self.mailbox(user)
            self._next_history += 1
            message = {**resource, "historyId": str(self._next_history)}
            if labels is not None:
                message["labelIds"] = list(labels)
            message.setdefault("labelIds", ["INBOX"])
            box.messages[message["id"]] = message
            box.history_id = self._next_history
            ref = {"id": message["id"], "threadId": message["threadId"]}
            box.history.append({"id": str(self._next_history), "messages": [ref],
                                "messagesAdded": [{"message": {**ref, "labelIds": message["labelIds"]}}]})
            return message

    def add_sample(self, user: str, path: Path, *, headers: dict[str, str] | None = None,
                   id: str | None = None) -> dict:
        """A captured messages.get (or drafts.get) response, with some header values replaced."""
        resource = json.loads(Path(path).read_text())
        resource = resource.get("message", resource)  # drafts.get wraps the message
        if id:
            resource["id"] = id
        wanted = {k.lower(): v for k, v in (headers or {}).items()}
        for header in resource["payload"].get("headers", []):
            if header["name"].lower() in wanted:
                header["value"] = wanted.pop(header["name"].lower())
        resource["payload"].setdefault("headers", []).extend({"name": k, "value": v} for k, v in wanted.items())
        return self.add_resource(user, resource)

    def add_message(self, user: str, id: str, *, from_: str, to: str, subject: str, date: datetime,
                    text: str | None = None, html: str | None = None, thread_id: str | None = None,
                    cc: str | None = None, message_id: str | None = None, in_reply_to: str | None = None,
                    attachments: Iterable[tuple[str, str, bytes]] = (), labels: Iterable[str] = ("INBOX",),
                    headers: dict[str, str] | None = None) -> dict:
        """Build a format=full resource; `attachments` are (filename, mime type, bytes), served by id only."""
        top = {"From": from_, "To": to, **({"Cc": cc} if cc else {}), "Subject": subject,
               "Date": format_datetime(date), "Message-ID": message_id or f"<{id}@mail.example>",
               **({"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}),
               "MIME-Version": "1.0", **(headers or {})}
        bodies = [_leaf("text/plain", text)] if text is not None else []
        bodies += [_leaf("text/html", html)] if html is not None else []
        payload = bodies[0] if len(bodies) == 1 else _multipart("alternative", bodies)
        files = [_attachment(id, n, name, kind, data) for n, (name, kind, data) in enumerate(attachments)]
        if files:
            payload = _multipart("mixed", [payload, *files])
        payload["headers"] = [{"name": k, "value": v} for k, v in top.items()] + payload["headers"]
        millis = int(date.timestamp() * 1000)
        resource = {"id": id, "threadId": thread_id or id, "snippet": (text or html or "")[:100],
                    "internalDate": str(millis), "sizeEstimate": 1000, "payload": payload}
        return self.add_resource(user, resource, labels=labels)

    def add_eml(self, user: str, id: str, raw: bytes, *, thread_id: str | None = None,
                labels: Iterable[str] = ("INBOX",)) -> dict:
        """An RFC 822 email as Gmail serves it: a payload tree, text bodies decoded, attachments by id."""
        mime = BytesParser(policy=compat32).parsebytes(raw)
        try:
            millis = int(parsedate_to_datetime(mime["Date"]).timestamp() * 1000)
        except (TypeError, ValueError):
            millis = 1_700_000_000_000
        resource = {"id": id, "threadId": thread_id or id, "snippet": "", "internalDate": str(millis),
                    "sizeEstimate": len(raw), "payload": _payload(id, mime, [0])}
        return self.add_resource(user, resource, labels=labels)

    def add_large_text(self, user: str, id: str, *, from_: str, to: str, subject: str, date: datetime,
                       text: str) -> dict:
        """A message whose text body is too big to inline: Gmail serves it by attachment id, like a file."""
        resource = self.add_message(user, id, from_=from_, to=to, subject=subject, date=date, text="")
        attachment_id = _b64(f"{id}:body".encode()).rstrip("=")
        resource["payload"]["body"] = {"attachmentId": attachment_id, "size": len(text.encode())}
        self.mailbox(user).attachments[(id, attachment_id)] = text.encode()
        return resource

    def delete(self, user: str, id: str) -> None:
        """The message is gone (messages.get answers 404); its history record stays."""
        self.mailbox(user).messages.pop(id, None)

    # -- scripting and inspection -----------------------------------------------
    def fail(self, path_fragment: str, status: int = 500, *, times: int = 1, retry_after: float | None = None,
             reason: str | None = None) -> None:
        """The next `times` requests whose path contains `path_fragment` answer `status`."""
        self._scripts.append(_Script(path_fragment, status, times, retry_after, reason))

    def calls(self, fragment: str) -> list[Request]:
        return [r for r in self.requests if fragment in r.path]

    # -- dispatch -----------------------------------------------------------
    def handle(self, path: str, query: dict, token: str | None) -> tuple[int, dict, dict]:
        """(HTTP status, extra headers, JSON body) for one GET."""
        with self._lock:
            user, _, rest = path[len(_PREFIX):].partition("/") if path.startswith(_PREFIX) else (None, "", "")
            user = unquote(user) if user else None
            self.requests.append(Request("GET", path, query, user, token))
            if token not in self.tokens:
                return _error(401)
            for script in self._scripts:
                if script.times > 0 and script.fragment in path:
                    script.times -= 1
                    extra = {"Retry-After": f"{script.retry_after:g}"} if script.retry_after is not None else {}
                    return _error(script.status, extra, reason=script.reason)
            owner = self.tokens[token]
            if user is None:
                return _error(404)
            if user.lower() not in ("me", owner):
                return _error(403, reason="forbidden", message="Delegation denied for " + owner)
            box = self.mailbox(owner)
            try:
                return 200, {}, self._route(box, rest, query)
            except _Answer as answer:
                return _error(answer.status, message=answer.message)

    def _route(self, box: Mailbox, rest: str, query: dict) -> dict:
        if rest == "profile":
            return {"emailAddress": box.email, "messagesTotal": len(box.messages),
                    "threadsTotal": len({m["threadId"] for m in box.messages.values()}),
                    "historyId": str(box.history_id or self._next_history)}
        if rest == "messages":
            return self._list(box, query)
        if rest.startswith("messages/") and "/" not in rest[len("messages/"):]:
            return self._get(box, unquote(rest[len("messages/"):]), query)
        if rest.startswith("messages/") and "/attachments/" in rest:
            message_id, _, attachment_id = rest[len("messages/"):].partition("/attachments/")
            data = box.attachments.get((unquote(message_id), unquote(attachment_id)))
            if data is None:
                raise _Answer(404)
            return {"size": len(data), "data": _b64(data)}
        if rest == "history":
            return self._history(box, query)
        raise _Answer(404)

    def _list(self, box: Mailbox, query: dict) -> dict:
        spam_trash = str(query.get("includeSpamTrash", "false")).lower() == "true"
        found = [m for m in box.messages.values() if _matches(m, str(query.get("q") or ""))
                 and (spam_trash or not {"SPAM", "TRASH"} & set(m.get("labelIds", ())))]
        found.sort(key=lambda m: int(m.get("internalDate") or 0), reverse=True)  # newest first, as Gmail lists
        page = _page([{"id": m["id"], "threadId": m["threadId"]} for m in found], query, limit=500)
        if not page.get("items"):
            page.pop("items", None)
        else:
            page["messages"] = page.pop("items")
        return {**page, "resultSizeEstimate": len(found)}

    def _get(self, box: Mailbox, id: str, query: dict) -> dict:
        message = box.messages.get(id)
        if message is None:
            raise _Answer(404)
        kind = query.get("format", "full")
        if kind == "full":
            return message
        if kind == "minimal":
            return {k: v for k, v in message.items() if k != "payload"}
        if kind == "metadata":
            wanted = query.get("metadataHeaders") or []
            wanted = {h.lower() for h in ([wanted] if isinstance(wanted, str) else wanted)}
            headers = [h for h in message["payload"].get("headers", []) if not wanted or h["name"].lower() in wanted]
            return {**message, "payload": {"mimeType": message["payload"].get("mimeType"), "headers": headers}}
        raise _Answer(400, f"Invalid value at 'format' ({kind}): this fake serves full, metadata and minimal")

    def _history(self, box: Mailbox, query: dict) -> dict:
        start = query.get("startHistoryId")
        if not start or not str(start).isdigit():
            raise _Answer(400, "Invalid startHistoryId")
        if int(start) < self.oldest_history:
            raise _Answer(404)
        types = query.get("historyTypes") or []
        types = [types] if isinstance(types, str) else types
        records = []
        for record in box.history:
            if int(record["id"]) <= int(start):
                continue
            if types and "messageAdded" not in types:
                continue
            records.append(record)
        page = _page(records, query, limit=500)
        items = page.pop("items")
        return {**({"history": items} if items else {}), **page, "historyId": str(box.history_id or start)}


class _Answer(Exception):
    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message = status, message


class _Handler(JSONHandler):
    fake: FakeGmail

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()}
        auth = self.headers.get("Authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
        status, headers, body = self.fake.handle(parts.path, query, token)
        self.send_json(status, body, headers)



# -- wire format ------------------------------------------------------------------

def _error(status: int, headers: dict | None = None, *, reason: str | None = None,
           message: str | None = None) -> tuple[int, dict, dict]:
    """Google's JSON error body: {"error": {"code", "message", "errors": [{"reason"}], "status"}}."""
    default_reason, state = _REASONS.get(status, ("unknown", "UNKNOWN"))
    text = message or _MESSAGES.get(status, "Error")
    body = {"error": {"code": status, "message": text,
                      "errors": [{"message": text, "domain": "global", "reason": reason or default_reason}],
                      "status": state}}
    return status, headers or {}, body


def _page(items: list, query: dict, *, limit: int) -> dict:
    """One page by `maxResults` (default 100) and an offset `pageToken`."""
    size = min(int(query.get("maxResults") or 100), limit)
    start = int(query.get("pageToken") or 0)
    page = {"items": items[start:start + size]}
    if start + size < len(items):
        page["nextPageToken"] = str(start + size)
    return page


def _matches(message: dict, q: str) -> bool:
    """Minimal Gmail search: `after:YYYY/MM/DD` (UTC here) and one `{from:x to:x cc:x}` OR-group."""
    headers = {h["name"].lower(): h["value"].lower() for h in message["payload"].get("headers", [])}
    millis = int(message.get("internalDate") or 0)
    for term in q.replace("{", " { ").replace("}", " } ").split():
        if term.startswith("after:"):
            day = datetime.strptime(term[6:], "%Y/%m/%d").replace(tzinfo=timezone.utc)
            if millis < day.timestamp() * 1000:
                return False
    if "{" in q:
        group = q[q.index("{") + 1:q.index("}")].split()
        return any(value.lower() in headers.get(name, "") for name, _, value in (t.partition(":") for t in group))
    return True


def _payload(message_id: str, part: MimeMessage, counter: list[int]) -> dict:
    headers = [{"name": k, "value": " ".join(str(v).split())} for k, v in part.raw_items()]
    node = {"partId": str(counter[0]), "mimeType": part.get_content_type(), "filename": part.get_filename() or "",
            "headers": headers, "body": {"size": 0}}
    counter[0] += 1
    if part.is_multipart():
        node["parts"] = [_payload(message_id, child, counter) for child in part.get_payload()]
        return node
    data = part.get_payload(decode=True) or b""
    if node["filename"] or not node["mimeType"].startswith("text/"):
        node["body"] = {"attachmentId": _b64(f"{message_id}:{node['partId']}".encode()).rstrip("="), "size": len(data)}
    else:
        node["body"] = {"size": len(data), "data": _b64(data)}
    return node


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _leaf(kind: str, text: str) -> dict:
    data = text.encode()
    return {"partId": "", "mimeType": kind, "filename": "",
            "headers": [{"name": "Content-Type", "value": f"{kind}; charset=UTF-8"},
                        {"name": "Content-Transfer-Encoding", "value": "quoted-printable"}],
            "body": {"size": len(data), "data": _b64(data)}}


def _multipart(subtype: str, parts: list[dict]) -> dict:
    boundary = f"fake-{subtype}-{len(parts)}"
    return {"partId": "", "mimeType": f"multipart/{subtype}", "filename": "",
            "headers": [{"name": "Content-Type", "value": f'multipart/{subtype}; boundary="{boundary}"'}],
            "body": {"size": 0}, "parts": parts}


def _attachment(message_id: str, n: int, name: str, kind: str, data: bytes) -> dict:
    return {"partId": str(n + 1), "mimeType": kind, "filename": name,
            "headers": [{"name": "Content-Type", "value": f'{kind}; name="{name}"'},
                        {"name": "Content-Disposition", "value": f'attachment; filename="{name}"'},
                        {"name": "Content-Transfer-Encoding", "value": "base64"}],
            "body": {"attachmentId": _b64(f"{message_id}:{n}".encode()).rstrip("="), "size": len(data)}}


FakeGmail.handler = _Handler
